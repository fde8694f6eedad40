export { type StoredCheckpoint, latestCheckpoint, writeCheckpoint } from './checkpoint-writer.js';
export { integrate, readLogState } from './integrate.js';
export { buildProofFile, PROOF_FORMAT, type ProofFile, verifyProofFile } from './proof-file.js';
export { type SealOptions, sealLog } from './seal.js';
export { parseExportLine, readLoggedEvents } from './export.js';
export { type LogBreak, type LoggedEvent, type LogReport, LogVerifier } from './verify-log.js';
