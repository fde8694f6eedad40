import { Fragment, useState } from 'react';
import type { Json } from '../api/types';

/** Strings longer than this are collapsed behind a toggle that says how much is hidden. */
const COLLAPSE_AFTER = 200;

/**
 * Invisible and direction-changing characters (zero-width spaces, bidi overrides, tag
 * characters) could make arguments read differently from what will run, so they are escaped.
 */
const HIDDEN_CHARACTERS = /[\p{Cf}\u007f-\u009f\u2028\u2029]/gu;

/**
 * A string as a JSON literal with hidden characters escaped, still valid JSON.
 *
 * @example
 * quote('a\u202eb'); // '"a\\u202eb"'
 */
export function quote(text: string): string {
  return JSON.stringify(text).replace(HIDDEN_CHARACTERS, (character) =>
    Array.from({ length: character.length }, (_, index) => `\\u${character.charCodeAt(index).toString(16).padStart(4, '0')}`).join(''),
  );
}

/**
 * JSON pretty-printed as text (never as markup). Nothing is dropped: a long string shows its
 * first characters and a "Show all (N characters)" button, so an approver can read every byte.
 *
 * @example
 * <JsonView value={approval.args} />
 */
export function JsonView({ value }: { value: Json }) {
  return (
    <pre className="json">
      <JsonNode value={value} depth={0} />
    </pre>
  );
}

function JsonNode({ value, depth }: { value: Json; depth: number }) {
  if (typeof value === 'string') return <JsonString value={value} />;
  if (value === null || typeof value !== 'object') return <>{JSON.stringify(value)}</>;
  const entries: [string | null, Json][] = Array.isArray(value) ? value.map((item) => [null, item]) : Object.entries(value);
  const [open, close] = Array.isArray(value) ? ['[', ']'] : ['{', '}'];
  if (entries.length === 0) return <>{open + close}</>;
  const indent = '  '.repeat(depth + 1);
  return (
    <>
      {`${open}\n`}
      {entries.map(([name, item], index) => (
        <Fragment key={name ?? index}>
          {indent}
          {name === null ? null : `${quote(name)}: `}
          <JsonNode value={item} depth={depth + 1} />
          {index < entries.length - 1 ? ',\n' : '\n'}
        </Fragment>
      ))}
      {'  '.repeat(depth) + close}
    </>
  );
}

function JsonString({ value }: { value: string }) {
  const [expanded, setExpanded] = useState(false);
  if (value.length <= COLLAPSE_AFTER) return <>{quote(value)}</>;
  const quoted = quote(expanded ? value : value.slice(0, COLLAPSE_AFTER));
  return (
    <>
      {expanded ? quoted : quoted.slice(0, -1)}
      {expanded ? null : (
        <>
          <span aria-hidden="true">…</span>
          <span className="visually-hidden"> (truncated)</span>
        </>
      )}
      {expanded ? null : '"'}{' '}
      <button type="button" className="inline-toggle" aria-expanded={expanded} onClick={() => setExpanded(!expanded)}>
        {expanded ? 'Collapse' : `Show all (${value.length} characters)`}
      </button>
    </>
  );
}
