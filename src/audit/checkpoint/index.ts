export {
  type Checkpoint,
  formatCheckpoint,
  type OpenedCheckpoint,
  openCheckpoint,
  parseCheckpoint,
  signCheckpoint,
} from './checkpoint.js';
export {
  CHECKPOINT_KEY_FILE,
  CHECKPOINT_VERIFIER_KEY_FILE,
  type CheckpointKey,
  loadOrCreateCheckpointKey,
} from './key-file.js';
export {
  decodeBase64,
  formatKeyId,
  formatVerifierKey,
  generateNoteKey,
  isValidKeyName,
  keyIdFor,
  type NoteSigner,
  type NoteVerifier,
  parseSignerKey,
  parseVerifierKey,
} from './keys.js';
export {
  MAX_NOTE_SIGNATURES,
  type NoteRejection,
  type OpenedNote,
  openNote,
  signNote,
} from './note.js';
