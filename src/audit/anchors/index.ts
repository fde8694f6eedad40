export { FileAnchorSink } from './file-sink.js';
export { anchorSinkFor, openAnchorSinks } from './open.js';
export { S3AnchorSink, type S3AnchorOptions } from './s3-sink.js';
export { type AnchoredCheckpoint, type AnchorSink, anchorName, anchorSizeOf } from './sink.js';
export { type AnchorStatus, newAnchorStatus, type SinkStatus } from './status.js';
