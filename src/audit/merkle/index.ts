/**
 * RFC 6962 / RFC 9162 Merkle tree math for the audit log: hashing, roots, an incremental
 * accumulator, and inclusion and consistency proofs with their verifiers. Pure functions;
 * storage supplies perfect-subtree hashes through a NodeReader.
 */
export { type AccumulatorState, type CompletedNode, MerkleAccumulator, rootFromLeafHashes } from './accumulator.js';
export { consistencyProof, consistencyProofPlan, verifyConsistency } from './consistency.js';
export { emptyRoot, HASH_SIZE, leafHash, nodeHash } from './hash.js';
export { inclusionProof, inclusionProofPlan, verifyInclusion } from './inclusion.js';
export { type ProofStep, resolveProof } from './proof.js';
export { decomposeRange, foldNodes, type NodeAddress, type NodeReader, nodeReaderFromLeafHashes, rootFromNodes } from './tree.js';
