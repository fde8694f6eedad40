import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BUILT, loadScanner, type NativeScanner } from '../../src/security/untrusted/native.js';

/** A second copy of the built scanner, loaded as its own instance without its AVX2 path (unconfigured). */
export function scalarScanner(): NativeScanner {
  const folder = mkdtempSync(join(tmpdir(), 'aosiq-scan-'));
  copyFileSync(BUILT, join(folder, 'aosiq_scan.node'));
  process.env.AOS_SCAN_NO_AVX2 = '1';
  try {
    return loadScanner(join(folder, 'aosiq_scan.node'));
  } finally {
    delete process.env.AOS_SCAN_NO_AVX2;
    rmSync(folder, { recursive: true, force: true });
  }
}
