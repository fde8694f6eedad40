import fs from 'node:fs';
import path from 'node:path';
import { AosError } from '../../errors.js';
import { type AnchoredCheckpoint, type AnchorSink, anchorName, anchorSizeOf } from './sink.js';

/**
 * Signed checkpoints in a directory outside the database, one read-only file per tree size
 * (`checkpoint-<16 digits>.txt`). The embedded default; keep the directory on storage the
 * database's credentials cannot write.
 *
 * @example
 * const sink = new FileAnchorSink('/var/lib/aosiq-anchors');
 * await sink.write(1024, note);
 */
export class FileAnchorSink implements AnchorSink {
  constructor(readonly directory: string) {}

  get name(): string {
    return this.directory;
  }

  /** The file that holds (or would hold) the checkpoint of this size. */
  fileFor(size: number): string {
    return path.join(this.directory, anchorName(size));
  }

  async anchoredSize(): Promise<number> {
    if (!fs.existsSync(this.directory)) return 0;
    return Math.max(0, ...fs.readdirSync(this.directory).map((name) => anchorSizeOf(name) ?? 0));
  }

  async write(size: number, note: string): Promise<void> {
    fs.mkdirSync(this.directory, { recursive: true, mode: 0o700 });
    const file = this.fileFor(size);
    try {
      fs.writeFileSync(file, note, { flag: 'wx', mode: 0o444 });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      if (fs.readFileSync(file, 'utf8') !== note) {
        throw new AosError('AUDIT_CHAIN_BROKEN', `${file} already anchors a different checkpoint of size ${size}`, { file });
      }
    }
  }

  async list(): Promise<AnchoredCheckpoint[]> {
    if (!fs.existsSync(this.directory)) return [];
    return fs
      .readdirSync(this.directory)
      .filter((name) => anchorSizeOf(name) !== null)
      .sort()
      .map((name) => {
        const location = path.join(this.directory, name);
        return { size: anchorSizeOf(name)!, note: fs.readFileSync(location, 'utf8'), location };
      });
  }

  async probe(): Promise<string> {
    return 'local directory: files written once, read-only (0444)';
  }
}
