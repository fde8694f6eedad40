/**
 * The labelled injection corpus under test/fixtures/injection/: JSON Lines files written for
 * this project, `<stem>.dev.jsonl` (the detector is tuned on these) and `<stem>.holdout.jsonl`
 * (never read while tuning: the honest figure).
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface Sample {
  id: string;
  label: 'attack' | 'benign';
  category: string;
  text: string;
  split: 'dev' | 'holdout';
}

/** Beside this file in the source tree; from the build (dist/test/support) two folders further up. */
export const CORPUS_DIR = [new URL('../fixtures/injection/', import.meta.url), new URL('../../../test/fixtures/injection/', import.meta.url)]
  .map((url) => fileURLToPath(url))
  .find((dir) => fs.existsSync(dir)) ?? fileURLToPath(new URL('../fixtures/injection/', import.meta.url));

/**
 * @example
 * const dev = loadCorpus().filter((sample) => sample.split === 'dev');
 */
export function loadCorpus(dir = CORPUS_DIR): Sample[] {
  const samples: Sample[] = [];
  for (const file of fs.readdirSync(dir).filter((name) => name.endsWith('.jsonl')).sort()) {
    const split = file.endsWith('.holdout.jsonl') ? 'holdout' : 'dev';
    fs.readFileSync(path.join(dir, file), 'utf8')
      .split('\n')
      .filter((line) => line.trim() !== '')
      .forEach((line, index) => {
        const sample = JSON.parse(line) as Omit<Sample, 'split'>;
        if ((sample.label !== 'attack' && sample.label !== 'benign') || typeof sample.text !== 'string' || !sample.id || !sample.category) {
          throw new Error(`${file}:${index + 1}: not a corpus sample (id, label attack|benign, category, text)`);
        }
        samples.push({ ...sample, split });
      });
  }
  return samples;
}
