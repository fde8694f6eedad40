import type { S3Client } from '@aws-sdk/client-s3';
import { AosError } from '../../errors.js';
import { type AnchoredCheckpoint, type AnchorSink, anchorName, anchorSizeOf } from './sink.js';

/** A signed note is a few hundred bytes; anything this large in an anchor's place is not one. */
const MAX_NOTE_BYTES = 64 * 1024;

export interface S3AnchorOptions {
  bucket: string;
  /** Key prefix, e.g. "prod/"; anchors are `<prefix>checkpoint-<16 digits>.txt`. */
  prefix: string;
  region: string;
  /** For S3-compatible stores (Ceph RGW, MinIO, R2...); AWS when absent. */
  endpoint?: string | undefined;
  forcePathStyle: boolean;
  /** Explicit keys; absent means the SDK's default chain (for read-only verifiers). */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string | undefined } | undefined;
  /** Retention to put on every anchor (the bucket must have Object Lock enabled). */
  objectLock?: { mode: 'GOVERNANCE' | 'COMPLIANCE'; retainDays: number } | undefined;
  timeoutMs: number;
  now?: () => Date;
}

interface S3Failure {
  name?: string;
  $metadata?: { httpStatusCode?: number };
}

function failure(error: unknown): S3Failure {
  return typeof error === 'object' && error !== null ? (error) : {};
}

/**
 * Signed checkpoints in S3-compatible object storage, on credentials of their own. Writes
 * with `If-None-Match: *` so an existing anchor is never replaced, and with Object Lock
 * retention when configured. In a versioned (Object Lock) bucket an overwrite only adds a
 * version, so reading takes every version of every anchor and refuses a key whose versions
 * differ: a rewrite by someone holding the writer's credentials is still seen.
 *
 * @example
 * const sink = new S3AnchorSink({ bucket: 'audit', prefix: 'prod/', region: 'us-east-1', forcePathStyle: false, timeoutMs: 5000 });
 * await sink.write(1024, note);
 */
export class S3AnchorSink implements AnchorSink {
  readonly name: string;
  private connection: Promise<{ client: S3Client; sdk: typeof import('@aws-sdk/client-s3') }> | undefined;
  private known = 0;

  constructor(private readonly options: S3AnchorOptions) {
    this.name = `s3://${options.bucket}/${options.prefix}`;
  }

  /**
   * The SDK takes half a second to load, which every command would pay whether or not it
   * anchors: it is loaded when the store is first used.
   */
  private connect(): Promise<{ client: S3Client; sdk: typeof import('@aws-sdk/client-s3') }> {
    const { region, endpoint, forcePathStyle, credentials, timeoutMs } = this.options;
    this.connection ??= import('@aws-sdk/client-s3').then((sdk) => ({
      sdk,
      client: new sdk.S3Client({ region, endpoint, forcePathStyle, credentials, maxAttempts: 2, requestHandler: { connectionTimeout: timeoutMs, requestTimeout: timeoutMs } }),
    }));
    return this.connection;
  }

  private key(size: number): string {
    return `${this.options.prefix}${anchorName(size)}`;
  }

  private url(key: string): string {
    return `s3://${this.options.bucket}/${key}`;
  }

  async anchoredSize(): Promise<number> {
    const { client, sdk } = await this.connect();
    let token: string | undefined;
    do {
      const page = await client.send(
        new sdk.ListObjectsV2Command({
          Bucket: this.options.bucket,
          Prefix: this.options.prefix,
          StartAfter: this.known > 0 ? this.key(this.known) : undefined,
          ContinuationToken: token,
        }),
      );
      for (const object of page.Contents ?? []) {
        const size = anchorSizeOf(object.Key!.slice(this.options.prefix.length));
        if (size !== null && size > this.known) this.known = size;
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return this.known;
  }

  async write(size: number, note: string): Promise<void> {
    const { client, sdk } = await this.connect();
    const key = this.key(size);
    const lock = this.options.objectLock;
    const now = this.options.now?.() ?? new Date();
    try {
      await client.send(
        new sdk.PutObjectCommand({
          Bucket: this.options.bucket,
          Key: key,
          Body: note,
          ContentType: 'text/plain; charset=utf-8',
          IfNoneMatch: '*',
          ...(lock && {
            ObjectLockMode: lock.mode,
            ObjectLockRetainUntilDate: new Date(now.getTime() + lock.retainDays * 86_400_000),
          }),
        }),
      );
    } catch (error) {
      const { name, $metadata } = failure(error);
      if (name !== 'PreconditionFailed' && $metadata?.httpStatusCode !== 412) throw error;
      if ((await this.read(key)) !== note) {
        throw new AosError('AUDIT_CHAIN_BROKEN', `${this.url(key)} already anchors a different checkpoint of size ${size}`, {
          anchor: this.url(key),
        });
      }
    }
    this.known = Math.max(this.known, size);
  }

  async list(): Promise<AnchoredCheckpoint[]> {
    const { client, sdk } = await this.connect();
    const versioning = await client.send(new sdk.GetBucketVersioningCommand({ Bucket: this.options.bucket }));
    const keys = versioning.Status === undefined ? await this.listKeys() : await this.listVersions();
    const anchors: AnchoredCheckpoint[] = [];
    for (const [key, versions] of [...keys].sort(([a], [b]) => (a < b ? -1 : 1))) {
      const size = anchorSizeOf(key.slice(this.options.prefix.length));
      if (size === null) continue;
      const notes = new Set<string>();
      for (const version of versions) notes.add(await this.read(key, version));
      if (notes.size > 1) {
        throw new AosError(
          'AUDIT_CHAIN_BROKEN',
          `${this.url(key)} has ${versions.length} versions that differ: the anchor of size ${size} was overwritten`,
          { anchor: this.url(key), versions: versions.length },
        );
      }
      anchors.push({ size, note: [...notes][0]!, location: this.url(key) });
    }
    return anchors;
  }

  async probe(): Promise<string> {
    const { client, sdk } = await this.connect();
    const wanted = this.options.objectLock;
    try {
      const { ObjectLockConfiguration: lock } = await client.send(
        new sdk.GetObjectLockConfigurationCommand({ Bucket: this.options.bucket }),
      );
      if (lock?.ObjectLockEnabled !== 'Enabled') throw Object.assign(new Error('not enabled'), { name: 'ObjectLockConfigurationNotFoundError' });
      const retention = lock.Rule?.DefaultRetention;
      const base = retention
        ? `object lock on, bucket default ${retention.Mode} for ${retention.Days ?? 0} days${retention.Years ? ` ${retention.Years} years` : ''}`
        : 'object lock on, no bucket default retention';
      return wanted ? `${base}; each anchor written with ${wanted.mode} for ${wanted.retainDays} days` : base;
    } catch (error) {
      if (failure(error).name !== 'ObjectLockConfigurationNotFoundError') throw error;
      if (wanted) {
        throw new AosError(
          'CONFIG_INVALID',
          `audit.anchors.s3.object_lock is set but bucket ${this.options.bucket} has no Object Lock; create the bucket with Object Lock enabled or remove object_lock`,
          { bucket: this.options.bucket },
        );
      }
      return 'object lock off: anchors are protected by If-None-Match only; a bucket with Object Lock (COMPLIANCE) also stops deletion';
    }
  }

  private async listKeys(): Promise<Map<string, (string | undefined)[]>> {
    const { client, sdk } = await this.connect();
    const keys = new Map<string, (string | undefined)[]>();
    let token: string | undefined;
    do {
      const page = await client.send(
        new sdk.ListObjectsV2Command({ Bucket: this.options.bucket, Prefix: this.options.prefix, ContinuationToken: token }),
      );
      for (const object of page.Contents ?? []) keys.set(object.Key!, [undefined]);
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return keys;
  }

  /** Every version of every key, so a delete marker or a newer version cannot hide the original. */
  private async listVersions(): Promise<Map<string, (string | undefined)[]>> {
    const { client, sdk } = await this.connect();
    const keys = new Map<string, (string | undefined)[]>();
    let keyMarker: string | undefined;
    let versionMarker: string | undefined;
    for (;;) {
      const page = await client.send(
        new sdk.ListObjectVersionsCommand({
          Bucket: this.options.bucket,
          Prefix: this.options.prefix,
          KeyMarker: keyMarker,
          VersionIdMarker: versionMarker,
        }),
      );
      for (const version of page.Versions ?? []) keys.set(version.Key!, [...(keys.get(version.Key!) ?? []), version.VersionId]);
      if (!page.IsTruncated) return keys;
      keyMarker = page.NextKeyMarker;
      versionMarker = page.NextVersionIdMarker;
    }
  }

  private async read(key: string, versionId?: string): Promise<string> {
    const { client, sdk } = await this.connect();
    const object = await client.send(new sdk.GetObjectCommand({ Bucket: this.options.bucket, Key: key, VersionId: versionId }));
    if ((object.ContentLength ?? 0) > MAX_NOTE_BYTES) {
      throw new AosError('AUDIT_CHAIN_BROKEN', `${this.url(key)} is ${object.ContentLength} bytes, too large for a signed checkpoint`, {
        anchor: this.url(key),
      });
    }
    return object.Body!.transformToString('utf-8');
  }
}
