import fs from 'node:fs';
import { AosError } from '../errors.js';

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Takes an exclusive lock file holding this process's pid, so that two processes can never
 * open one embedded data directory (PGlite would corrupt it). A lock left by a dead process
 * is taken over. Returns the function that releases it.
 *
 * @example
 * const release = acquireDirectoryLock('.aosiq/db.lock');
 */
export function acquireDirectoryLock(lockPath: string): () => void {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = fs.openSync(lockPath, 'wx', 0o600);
      fs.writeSync(fd, `${process.pid}\n`);
      fs.closeSync(fd);
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        process.off('exit', release);
        fs.rmSync(lockPath, { force: true });
      };
      process.on('exit', release);
      return release;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = Number.parseInt(fs.readFileSync(lockPath, 'utf8').trim(), 10);
      if (Number.isInteger(holder) && holder !== process.pid && processAlive(holder)) {
        throw new AosError(
          'STORE_LOCKED',
          `the data directory is in use by process ${holder} (lock file ${lockPath}); stop that process, or set AOS_DATABASE_URL to share a PostgreSQL server between processes`,
          { lockPath, pid: holder },
        );
      }
      if (holder === process.pid) {
        throw new AosError('STORE_LOCKED', `this process already has the data directory open (${lockPath})`, {
          lockPath,
        });
      }
      fs.rmSync(lockPath, { force: true });
    }
  }
  throw new AosError('STORE_LOCKED', `could not take the lock file ${lockPath}`, { lockPath });
}
