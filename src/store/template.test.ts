import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { afterAll, describe, expect, it } from 'vitest';
import { migrate } from './migrate.js';
import { openPglite } from './pglite.js';
import { buildTemplate, readTemplate, templatePath } from './template.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'aosiq-template-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('embedded database template', () => {
  it('is built in this checkout for the installed PGlite (npm run build and npm test build it)', () => {
    expect(templatePath()).toMatch(/dist[/\\]pglite-\d+\.\d+\.\d+\.tar$/);
    expect(readTemplate()?.size, `no template at ${templatePath()}`).toBeGreaterThan(1_000_000);
  });

  it('is built once, as a tar of a data directory that a new database loads, migrates and keeps across a reopen', async () => {
    const file = path.join(dir, 'template.tar');
    expect(await buildTemplate(file)).toEqual({ file, built: true });
    expect(await buildTemplate(file)).toEqual({ file, built: false });
    const tar = fs.readFileSync(file);
    expect(tar.subarray(257, 262).toString()).toBe('ustar');
    expect(fs.readdirSync(dir)).toEqual(['template.tar']);

    const data = path.join(dir, 'db');
    const fresh = await PGlite.create(data, { loadDataDir: new Blob([tar]) });
    await fresh.close();
    expect(fs.existsSync(path.join(data, 'PG_VERSION'))).toBe(true);
    const db = await openPglite(data);
    try {
      expect((await migrate(db)).length).toBeGreaterThan(5);
      await db.exec("INSERT INTO schema_migrations (version, name) VALUES (9999, 'probe')");
    } finally {
      await db.close();
    }
    const again = await openPglite(data);
    try {
      const rows = await again.query<{ name: string }>('SELECT name FROM schema_migrations WHERE version = 9999');
      expect(rows.rows).toEqual([{ name: 'probe' }]);
    } finally {
      await again.close();
    }
  });
});
