/**
 * A worker thread's side of off-thread scanning (offload.ts): it says when it is ready (the rules
 * compiled, the native scanner loaded), then scans each text it is sent and answers with the
 * detection, or with the detector's error.
 */
import { parentPort } from 'node:worker_threads';
import { detectInjection } from './detect.js';
import type { ScanReply, ScanRequest } from './offload.js';

const port = parentPort;
if (!port) throw new Error('scan-worker.js runs as a worker thread (offload.ts starts it)');
port.on('message', ({ id, bytes, encoding, threshold }: ScanRequest) => {
  let reply: ScanReply;
  try {
    const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString(encoding);
    reply = { id, detection: detectInjection(text, threshold) };
  } catch (error) {
    reply = { id, error: (error as Error).message };
  }
  port.postMessage(reply);
});
port.postMessage({ ready: true } satisfies ScanReply);
