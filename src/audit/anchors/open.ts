import type { Config } from '../../config/index.js';
import { AosError } from '../../errors.js';
import { FileAnchorSink } from './file-sink.js';
import { S3AnchorSink } from './s3-sink.js';
import type { AnchorSink } from './sink.js';

type AnchorsConfig = Config['audit']['anchors'];

function requiredEnv(env: NodeJS.ProcessEnv, name: string, setting: string): string {
  const value = env[name];
  if (value === undefined || value === '') {
    throw new AosError('CONFIG_INVALID', `audit.anchors.s3.${setting}: environment variable ${name} is not set; export the anchor store's own key in it`, {
      variable: name,
    });
  }
  return value;
}

/**
 * The anchor stores the configuration names, the S3 one with the keys from the environment
 * variables it names (a missing key stops start-up: anchors that cannot be written are not
 * anchors).
 *
 * @example
 * const sinks = openAnchorSinks(config.audit.anchors, process.env);
 */
export function openAnchorSinks(anchors: AnchorsConfig, env: NodeJS.ProcessEnv): AnchorSink[] {
  const sinks: AnchorSink[] = [];
  if (anchors.directory !== null) sinks.push(new FileAnchorSink(anchors.directory));
  const s3 = anchors.s3;
  if (s3) {
    sinks.push(
      new S3AnchorSink({
        bucket: s3.bucket,
        prefix: s3.prefix,
        region: s3.region,
        endpoint: s3.endpoint,
        forcePathStyle: s3.force_path_style,
        credentials: {
          accessKeyId: requiredEnv(env, s3.access_key_id_env, 'access_key_id_env'),
          secretAccessKey: requiredEnv(env, s3.secret_access_key_env, 'secret_access_key_env'),
          sessionToken: s3.session_token_env && requiredEnv(env, s3.session_token_env, 'session_token_env'),
        },
        objectLock: s3.object_lock && { mode: s3.object_lock.mode, retainDays: s3.object_lock.retain_days },
        timeoutMs: s3.timeout_ms,
      }),
    );
  }
  return sinks;
}

/**
 * The anchor store a verifier names on the command line: a directory, or `s3://bucket/prefix`
 * read with AOS_ANCHOR_S3_ENDPOINT / AOS_ANCHOR_S3_REGION and the keys in
 * AOS_ANCHOR_S3_ACCESS_KEY_ID / AOS_ANCHOR_S3_SECRET_ACCESS_KEY (else the AWS SDK's default
 * chain, e.g. an auditor's read-only profile).
 *
 * @example
 * const sink = anchorSinkFor('s3://audit-anchors/prod/', process.env);
 */
export function anchorSinkFor(location: string, env: NodeJS.ProcessEnv): AnchorSink {
  if (!location.startsWith('s3://')) return new FileAnchorSink(location);
  const match = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?:\/(.*))?$/.exec(location);
  if (!match) {
    throw new AosError('INVALID_INPUT', `--anchors ${JSON.stringify(location)}: expected s3://<bucket>/<prefix>, e.g. s3://audit-anchors/prod/`, {
      field: '--anchors',
    });
  }
  const endpoint = env.AOS_ANCHOR_S3_ENDPOINT || undefined;
  const accessKeyId = env.AOS_ANCHOR_S3_ACCESS_KEY_ID;
  const secretAccessKey = env.AOS_ANCHOR_S3_SECRET_ACCESS_KEY;
  return new S3AnchorSink({
    bucket: match[1]!,
    prefix: match[2] ?? '',
    region: env.AOS_ANCHOR_S3_REGION || 'us-east-1',
    endpoint,
    forcePathStyle: endpoint !== undefined,
    credentials: accessKeyId && secretAccessKey ? { accessKeyId, secretAccessKey } : undefined,
    timeoutMs: 10_000,
  });
}
