/** One signed checkpoint as an anchor holds it. */
export interface AnchoredCheckpoint {
  size: number;
  note: string;
  /** Where it was read from (a file path or an s3:// URL), for messages. */
  location: string;
}

/**
 * Storage for signed checkpoints outside the database, on credentials the database does not
 * have. Every sink is write-once per tree size: the same checkpoint again is a no-op, a
 * different one under the same size is refused with AUDIT_CHAIN_BROKEN.
 */
export interface AnchorSink {
  /** A human name: the directory, or the s3:// URL of the bucket and prefix. */
  readonly name: string;
  /** The largest tree size anchored here, 0 when none. */
  anchoredSize(): Promise<number>;
  write(size: number, note: string): Promise<void>;
  /** Every anchored checkpoint, oldest first. */
  list(): Promise<AnchoredCheckpoint[]>;
  /** What protects the anchors beyond write-once naming, e.g. the bucket's Object Lock mode. */
  probe(): Promise<string>;
}

const NAME = /^checkpoint-(\d{16})\.txt$/;

/** The object or file name of the checkpoint of a tree size; names sort in size order. */
export function anchorName(size: number): string {
  return `checkpoint-${String(size).padStart(16, '0')}.txt`;
}

/** The tree size an anchor name stands for, or null when the name is not an anchor's. */
export function anchorSizeOf(name: string): number | null {
  const match = NAME.exec(name);
  return match ? Number(match[1]) : null;
}
