import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The nearest folder at or above `start` that holds a package.json: a package's root.
 *
 * @example
 * packageRootOf('/app/node_modules/pg/lib'); // '/app/node_modules/pg'
 */
export function packageRootOf(start: string): string {
  let folder = start;
  while (!fs.existsSync(path.join(folder, 'package.json')) && path.dirname(folder) !== folder) folder = path.dirname(folder);
  return folder;
}

/**
 * This package's root folder, found by walking up from this module (it runs both from src/
 * under the test runner and from dist/src/ when built): where dist/, build/ and the rest are.
 */
export function packageRoot(): string {
  return packageRootOf(path.dirname(fileURLToPath(import.meta.url)));
}

/**
 * This package's version from its package.json.
 *
 * @example
 * packageVersion(); // '0.1.0'
 */
export function packageVersion(): string {
  const file = path.join(packageRoot(), 'package.json');
  if (!fs.existsSync(file)) return 'unknown';
  const parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as { name?: string; version?: string };
  return parsed.name === 'aosiq' && parsed.version ? parsed.version : 'unknown';
}
