import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openPglite } from '../../src/store/pglite.js';
import { exitCodeOf, makeConfiguredDir, removeTempDirs, runCli } from './cli-process.js';

afterAll(removeTempDirs);

describe('the embedded data directory', () => {
  it('is refused to a second process while one holds it, naming the holder', async () => {
    const dir = makeConfiguredDir();
    const holder = await openPglite(path.join(dir, '.aosiq', 'db'));
    try {
      const locked = await runCli(dir, ['actors', 'list']);
      expect(locked.code, locked.stderr).toBe(exitCodeOf('STORE_LOCKED'));
      expect(locked.stderr).toContain(`in use by process ${process.pid}`);
      expect(locked.stderr).toContain('AOS_DATABASE_URL');
    } finally {
      await holder.close();
    }

    const released = await runCli(dir, ['actors', 'list']);
    expect(released.stderr).toBe('');
    expect(released.code, released.stderr).toBe(0);
  }, 90_000);
});
