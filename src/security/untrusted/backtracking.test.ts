/**
 * A static check, in the suite, that no regex of the detector can backtrack super-linearly. A
 * result of 4 KB or less is scanned on the event loop with no budget (offload.ts), so one such
 * regex lets a short tool result stall every session. `npm run bench:redos` times attacks and takes
 * minutes, with random fuzzing; this reads every regex's structure in a second, and so runs on
 * every change. scslre finds quantifiers that can share a run of one character every way (`\s*`
 * beside `\s*`, `[a-z]*r[a-z]*`), quadratic or worse in the run's length. It reads unbounded
 * quantifiers only; a repeat bounded at tens of characters beside another costs as much on the
 * short texts read in place (the gate that read "AI or" and 200 spaces every way: 4 KB took 3 s),
 * so here every bound of WIDE or more is read as unbounded.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { type AST, RegExpParser, visitRegExpAST } from '@eslint-community/regexpp';
import { analyse } from 'scslre';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { ALL_RULES } from './match.js';
import { ANCHOR, UNICODE_ANCHOR } from './prefilter.js';
import { URL_GATES } from './rules.js';

/** A repeat bounded at this many characters or more is read as unbounded. */
const WIDE = 8;

/** `source` with every bound of WIDE or more removed: `a{0,40}?` becomes `a{0,}?`. */
function widened(source: string, flags: string): string {
  const pattern = new RegExpParser({ ecmaVersion: 2025 }).parsePattern(source, 0, source.length, { unicode: flags.includes('u'), unicodeSets: flags.includes('v') });
  const bounds: { start: number; end: number; min: number; lazy: boolean }[] = [];
  visitRegExpAST(pattern, {
    onQuantifierEnter(quantifier: AST.Quantifier) {
      if (quantifier.max === Infinity || quantifier.max < WIDE) return;
      const bound = /\{\d+(?:,\d*)?\}\??$/.exec(quantifier.raw)!;
      bounds.push({ start: quantifier.end - bound[0].length, end: quantifier.end, min: quantifier.min, lazy: !quantifier.greedy });
    },
  });
  let out = source;
  for (const { start, end, min, lazy } of bounds.sort((a, b) => b.start - a.start)) out = `${out.slice(0, start)}{${min},}${lazy ? '?' : ''}${out.slice(end)}`;
  return out;
}

/**
 * What makes `regex` backtrack super-linearly, one line each (none: it cannot). `searched`: the
 * regex is searched for (not tried at one place), so a run it rejects from every start counts too.
 */
function faults(regex: RegExp, searched = false): string[] {
  const flags = regex.flags.replace(/[gy]/g, '');
  const { reports } = analyse({ source: widened(regex.source, flags), flags }, { reportTypes: { Move: searched } });
  return reports.map((report) => {
    const pieces = report.type === 'Trade' ? `${report.startQuant.raw} and ${report.endQuant.raw}` : report.type === 'Self' ? `${report.quant.raw} inside ${report.parentQuant.raw}` : report.quant.raw;
    return `${report.type}${report.exponential ? ' (exponential)' : ''} on a run of ${JSON.stringify(report.character.pick)}: ${pieces.slice(0, 160)}`;
  });
}

/**
 * Every regex literal in the detector's own modules (src/security/untrusted/*.ts, not the tests),
 * and in the masking of credentials, which reads the same untrusted text (src/security/secrets.ts).
 */
function literals(): { where: string; regex: RegExp }[] {
  const dir = import.meta.dirname;
  const files = [...readdirSync(dir).filter((name) => name.endsWith('.ts') && !name.endsWith('.test.ts')).map((name) => join(dir, name)), join(dir, '..', 'secrets.ts')];
  const found: { where: string; regex: RegExp }[] = [];
  for (const path of files) {
    const file = basename(path);
    const source = ts.createSourceFile(file, readFileSync(path, 'utf8'), ts.ScriptTarget.Latest, true);
    const visit = (node: ts.Node): void => {
      if (node.kind === ts.SyntaxKind.RegularExpressionLiteral) {
        const text = node.getText(source);
        const close = text.lastIndexOf('/');
        found.push({ where: `${file}:${source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1}`, regex: new RegExp(text.slice(1, close), text.slice(close + 1)) });
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  return found;
}

describe('backtracking', () => {
  it('is found where it was: the faults earlier rules had, each as the rule wrote it', () => {
    const earlier: Record<string, RegExp> = {
      // tool.call_verb: an identifier's letters and its separators both took "_" (64 characters took 20 s).
      'an identifier': /\brun\s+_*[a-z0-9_]+(?:[._][a-z0-9_]+)+_*\(/,
      // The rules' letters held U+1680, which \s holds too (512 characters took seconds).
      'a letter that is a space': /\b(?:[a-z\u1680]+\s+){0,2}?assistant\b/,
      // role.end_of_output: two runs of spaces side by side (16 KB took half a second).
      'two runs of spaces': /end of (?:file|output)[^\S\n]*[\])>.\-=*]*[^\S\n]*(?:\n|$)/,
      // addressed.vocative_instruction's gate: bounded runs sharing spaces around a colon (4 KB took 3 s).
      'bounded runs': /\bai(?:\s*(?:\/|and|or)\s*[a-z -]{0,40}?)?[)\]*_"']*\s*:\s*[\s\S]{0,160}?\bplease\b/,
      // addressed.vocative: a bounded run, then spaces, before a colon.
      'a bounded run, then spaces': /\bai(?:\s[^:\n\\?=]{0,60}?)?\s*:/,
      // exfil.visit_url: "\s*:?\s*" (16 KB of spaces after "visit the url" took 0.1 s, quadratic).
      'an optional colon between spaces': /\bvisit\s+(?:the url\s*:?\s*)?https?:\/\//,
    };
    for (const [name, regex] of Object.entries(earlier)) expect(faults(regex), name).not.toEqual([]);
    // Without widening, scslre does not see the bounded runs.
    expect(analyse({ source: earlier['a bounded run, then spaces']!.source, flags: '' }).reports).toEqual([]);
  });

  it('cannot happen in any rule, gate or anchor: each reads a run of one character one way', () => {
    const found: string[] = [];
    for (const rule of ALL_RULES) {
      // A rule without trigger words is searched for in the text; the others are tried at places (match.ts).
      for (const fault of faults(rule.pattern, rule.triggers === null)) found.push(`${rule.id}: ${fault}`);
      for (const fault of rule.atTrigger ? faults(rule.atTrigger) : []) found.push(`${rule.id} (gate): ${fault}`);
    }
    const anchors: [string, RegExp][] = [['anchors', ANCHOR], ['anchors beyond Latin-1', UNICODE_ANCHOR], ...URL_GATES.map((gate, i): [string, RegExp] => [`URL gate ${i + 1}`, gate])];
    for (const [name, regex] of anchors) for (const fault of faults(regex)) found.push(`${name}: ${fault}`);
    expect(found).toEqual([]);
  });

  it('cannot happen in any regex written out in the detector modules or the masking of credentials', () => {
    const all = literals();
    expect(all.length).toBeGreaterThan(50);
    expect(all.some(({ where }) => where.startsWith('secrets.ts:'))).toBe(true);
    expect(all.flatMap(({ where, regex }) => faults(regex).map((fault) => `${where} ${regex.source.slice(0, 60)}: ${fault}`))).toEqual([]);
  });
});
