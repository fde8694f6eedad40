export {
  type Appended,
  appendAuditEvents,
  type LiveActorGuard,
  lockSession,
  recordAuditEvent,
} from './append.js';
export * from './event.js';
export { chainHash, hashedEvent } from './hash.js';
export { listAuditEvents } from './list-events.js';
export { type ChainBreak, ChainVerifier, type VerifyReport, verifyStoredChains } from './verify.js';
