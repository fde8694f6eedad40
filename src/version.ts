import fs from 'node:fs';

/**
 * This package's version from its package.json, found by walking up from this module (it runs
 * both from src/ under the test runner and from dist/src/ when built).
 *
 * @example
 * packageVersion(); // '0.1.0'
 */
export function packageVersion(): string {
  for (let up = '../'; up.length <= 12; up += '../') {
    const file = new URL(`${up}package.json`, import.meta.url);
    if (!fs.existsSync(file)) continue;
    const parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as { name?: string; version?: string };
    if (parsed.name === 'aosiq' && parsed.version) return parsed.version;
  }
  return 'unknown';
}
