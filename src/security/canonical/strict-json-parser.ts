import { AosError } from '../../errors.js';
import {
  describePrimitive,
  describeUnsafeNumber,
  findLoneSurrogate,
  formatFieldPath,
  type JsonValue,
  MAX_JSON_DEPTH,
  type PathSegment,
  shorten,
} from './json-value.js';

const NUMBER = /-?(?:0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/y;
const HEX4 = /^[0-9A-Fa-f]{4}$/;
const SIMPLE_ESCAPES: Record<string, string> = {
  '"': '"',
  '\\': '\\',
  '/': '/',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
};

/**
 * Parses JSON text (RFC 8259) into a value with exactly one canonical form, refusing what
 * `JSON.parse` lets through silently: duplicate keys (also when spelled with escapes),
 * numbers of magnitude 2^53 or more however written, non-zero numbers that underflow to 0,
 * lone UTF-16 surrogates (escaped or raw), and nesting deeper than 64 containers.
 * A literal with a fraction or exponent means its nearest IEEE-754 double, as RFC 8785 reads it.
 *
 * @throws AosError INVALID_INPUT naming the field path and the line and column.
 * @example
 * parseStrictJson('{"b":1,"a":[true]}'); // { b: 1, a: [true] }
 * parseStrictJson('{"a":1,"\\u0061":2}'); // throws: args: duplicate object key "a" ...
 */
export function parseStrictJson(text: string, field = 'args'): JsonValue {
  if (typeof text !== 'string') {
    throw new AosError('INVALID_INPUT', `${field}: expected JSON text as a string, got ${typeof text}`, {
      field,
    });
  }
  return new StrictJsonParser(text, field).parseDocument();
}

class StrictJsonParser {
  private position = 0;
  private readonly segments: PathSegment[] = [];

  constructor(
    private readonly text: string,
    private readonly field: string,
  ) {}

  parseDocument(): JsonValue {
    this.skipWhitespace();
    if (this.position >= this.text.length) this.fail('is empty', 'send one JSON value');
    const value = this.parseValue(0);
    this.skipWhitespace();
    if (this.position < this.text.length) {
      this.fail(
        `has trailing data ${this.describeCharacter()} after the JSON value`,
        'send exactly one value',
      );
    }
    return value;
  }

  private parseValue(depth: number): JsonValue {
    const character = this.text[this.position];
    switch (character) {
      case '{':
        return this.parseObject(depth + 1);
      case '[':
        return this.parseArray(depth + 1);
      case '"':
        return this.parseString('a string');
      case 't':
        return this.parseLiteral('true', true);
      case 'f':
        return this.parseLiteral('false', false);
      case 'n':
        return this.parseLiteral('null', null);
      default:
        if (character === '-' || (character !== undefined && character >= '0' && character <= '9')) {
          return this.parseNumber();
        }
        return this.fail(`expected a JSON value but found ${this.describeCharacter()}`, 'send valid JSON');
    }
  }

  private parseObject(depth: number): JsonValue {
    this.checkDepth(depth);
    this.position++;
    const object: { [key: string]: JsonValue } = {};
    const keys = new Set<string>();
    this.skipWhitespace();
    if (this.text[this.position] === '}') {
      this.position++;
      return object;
    }
    for (;;) {
      if (this.text[this.position] !== '"') {
        this.fail(`expected a string key but found ${this.describeCharacter()}`, 'quote every object key');
      }
      const keyPosition = this.position;
      const key = this.parseString('an object key');
      if (keys.has(key)) {
        this.fail(
          `has duplicate object key ${describePrimitive(key)}`,
          'send each key once (keys are compared after unescaping)',
          keyPosition,
        );
      }
      keys.add(key);
      this.skipWhitespace();
      this.expect(':', 'after an object key');
      this.skipWhitespace();
      this.segments.push(key);
      // defineProperty, not assignment: a "__proto__" key must stay an own data property.
      Object.defineProperty(object, key, {
        value: this.parseValue(depth),
        enumerable: true,
        writable: true,
        configurable: true,
      });
      this.segments.pop();
      this.skipWhitespace();
      if (this.text[this.position] === '}') {
        this.position++;
        return object;
      }
      this.expect(',', 'between object members');
      this.skipWhitespace();
    }
  }

  private parseArray(depth: number): JsonValue {
    this.checkDepth(depth);
    this.position++;
    const array: JsonValue[] = [];
    this.skipWhitespace();
    if (this.text[this.position] === ']') {
      this.position++;
      return array;
    }
    for (;;) {
      this.segments.push(array.length);
      array.push(this.parseValue(depth));
      this.segments.pop();
      this.skipWhitespace();
      if (this.text[this.position] === ']') {
        this.position++;
        return array;
      }
      this.expect(',', 'between array elements');
      this.skipWhitespace();
    }
  }

  private parseString(kind: 'a string' | 'an object key'): string {
    const start = this.position;
    this.position++;
    let value = '';
    let runStart = this.position;
    for (;;) {
      const code = this.text.charCodeAt(this.position);
      if (Number.isNaN(code)) this.fail(`has ${kind} without a closing quote`, 'close it with "', start);
      if (code === 0x22) break;
      if (code === 0x5c) {
        value += this.text.slice(runStart, this.position) + this.parseEscape();
        runStart = this.position;
      } else if (code < 0x20) {
        const hex = code.toString(16).padStart(4, '0');
        this.fail(`has a raw control character U+${hex.toUpperCase()} in ${kind}`, `write it as \\u${hex}`);
      } else {
        this.position++;
      }
    }
    value += this.text.slice(runStart, this.position);
    this.position++;
    const lone = findLoneSurrogate(value);
    if (lone !== -1) {
      const unit = value.charCodeAt(lone).toString(16).toUpperCase();
      this.fail(
        `has a lone UTF-16 surrogate U+${unit} at index ${lone} of ${kind}`,
        'send well-formed Unicode (surrogates only in high-low pairs)',
        start,
      );
    }
    if (value.includes('\u0000')) {
      this.fail(
        `has a NUL character (\\u0000) at index ${value.indexOf('\u0000')} of ${kind}`,
        'remove it: the audit log (PostgreSQL jsonb) cannot store it',
        start,
      );
    }
    return value;
  }

  private parseEscape(): string {
    const escapeStart = this.position;
    const letter = this.text[this.position + 1];
    if (letter === 'u') {
      const hex = this.text.slice(this.position + 2, this.position + 6);
      if (!HEX4.test(hex))
        this.fail('has a \\u escape without four hex digits', 'write \\uXXXX', escapeStart);
      this.position += 6;
      return String.fromCharCode(Number.parseInt(hex, 16));
    }
    const replacement = letter === undefined ? undefined : SIMPLE_ESCAPES[letter];
    if (replacement === undefined) {
      this.fail(
        `has an invalid escape \\${letter ?? ''}`,
        'use one of \\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX',
        escapeStart,
      );
    }
    this.position += 2;
    return replacement;
  }

  private parseNumber(): number {
    const start = this.position;
    NUMBER.lastIndex = start;
    const match = NUMBER.exec(this.text);
    if (match === null) this.fail(`has an invalid number ${this.describeCharacter()}`, 'send a JSON number');
    const literal = match[0];
    this.position = start + literal.length;
    const value = Number(literal);
    const shown = shorten(literal);
    if (!Number.isFinite(value))
      this.fail(`has number ${shown}, which overflows a double`, 'send it as a string', start);
    // An integer literal beyond 2^53 names an integer that a double cannot hold, so several such
    // literals would hash alike. A literal with a fraction or exponent declares a double, which
    // RFC 8785 canonicalises as such (its own vectors include 1E30).
    const unsafe = /^-?\d+$/.test(literal) ? describeUnsafeNumber(value) : undefined;
    if (unsafe !== undefined) this.fail(`has number ${shown}, which ${unsafe}`, 'send it as a string', start);
    const mantissa = literal.replace(/[eE].*$/, '');
    if (value === 0 && /[1-9]/.test(mantissa)) {
      this.fail(`has number ${shown}, which underflows to 0`, 'send 0 or a representable number', start);
    }
    return value;
  }

  private parseLiteral<T extends JsonValue>(word: string, value: T): T {
    if (!this.text.startsWith(word, this.position)) {
      this.fail(`expected ${word} but found ${this.describeCharacter()}`, 'send valid JSON');
    }
    this.position += word.length;
    return value;
  }

  private checkDepth(depth: number): void {
    if (depth > MAX_JSON_DEPTH) {
      this.fail(`nests containers deeper than ${MAX_JSON_DEPTH} levels`, 'flatten the arguments');
    }
  }

  private expect(character: string, where: string): void {
    if (this.text[this.position] !== character) {
      this.fail(`expected '${character}' ${where} but found ${this.describeCharacter()}`, 'send valid JSON');
    }
    this.position++;
  }

  private skipWhitespace(): void {
    for (;;) {
      const code = this.text.charCodeAt(this.position);
      if (code !== 0x20 && code !== 0x09 && code !== 0x0a && code !== 0x0d) return;
      this.position++;
    }
  }

  private describeCharacter(): string {
    const code = this.text.charCodeAt(this.position);
    if (Number.isNaN(code)) return 'the end of input';
    if (code > 0x20 && code < 0x7f) return `'${String.fromCharCode(code)}'`;
    return `U+${code.toString(16).toUpperCase().padStart(4, '0')}`;
  }

  private fail(problem: string, advice: string, position = this.position): never {
    const path = formatFieldPath(this.field, this.segments);
    const before = this.text.slice(0, position);
    const line = before.split('\n').length;
    const column = position - before.lastIndexOf('\n');
    const where = `at line ${line}, column ${column} (offset ${position})`;
    const message = `${path} ${problem} ${where}; ${advice}`;
    throw new AosError('INVALID_INPUT', message, { field: path, line, column, offset: position });
  }
}
