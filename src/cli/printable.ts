/**
 * Text from a scanned document (or a file name) printed to a terminal must not act on it: control
 * characters can move the cursor or rewrite earlier lines, bidi controls reorder what is shown, and
 * invisible format characters (zero-width, tag characters) hide what a span matched. They are
 * shown as \uXXXX escapes instead (one per UTF-16 unit, so the text stays valid JSON where it was).
 */
const HIDDEN = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu;
/** The same in JSON text, whose strings JSON.stringify has already escaped C0 in: what is left is its layout. */
const HIDDEN_IN_JSON = /[\u007f-\u009f\p{Cf}\p{Zl}\p{Zp}]/gu;

function escape(character: string): string {
  let escaped = '';
  for (let index = 0; index < character.length; index++) escaped += `\\u${character.charCodeAt(index).toString(16).padStart(4, '0')}`;
  return escaped;
}

/**
 * @example
 * printable('evil\u202etxt.exe\n'); // 'evil\\u202etxt.exe\\u000a'
 */
export function printable(text: string): string {
  return text.replace(HIDDEN, escape);
}

/**
 * JSON for a terminal or a script: the same value, with bidi, C1 and invisible characters escaped.
 *
 * @example
 * printableJson({ excerpt: 'a\u202eb' }); // '{\n  "excerpt": "a\\u202eb"\n}'
 */
export function printableJson(value: unknown): string {
  return JSON.stringify(value, null, 2).replace(HIDDEN_IN_JSON, escape);
}
