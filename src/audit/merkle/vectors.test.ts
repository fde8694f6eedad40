import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { rootFromLeafHashes } from './accumulator.js';
import { consistencyProof, verifyConsistency } from './consistency.js';
import { leafHash } from './hash.js';
import { inclusionProof, verifyInclusion } from './inclusion.js';
import { nodeReaderFromLeafHashes } from './tree.js';

// Probes from transparency-dev/merkle testdata: most are corruptions that must be rejected.
const vectorRoot = path.resolve(process.cwd(), '../shared/vectors/rfc6962');

interface InclusionProbe {
  leafIdx: number;
  treeSize: number;
  root: string;
  leafHash: string;
  proof: string[] | null;
  desc: string;
  wantErr: boolean;
}

interface ConsistencyProbe {
  size1: number;
  size2: number;
  root1: string;
  root2: string;
  proof: string[] | null;
  desc: string;
  wantErr: boolean;
}

function jsonFiles(folder: string): string[] {
  return readdirSync(folder, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(folder, entry.name);
    if (entry.isDirectory()) return jsonFiles(full);
    return entry.name.endsWith('.json') ? [full] : [];
  });
}

function probes<T>(kind: string): { file: string; probe: T }[] {
  return jsonFiles(path.join(vectorRoot, kind)).map((file) => ({
    file: path.relative(vectorRoot, file),
    probe: JSON.parse(readFileSync(file, 'utf8')) as T,
  }));
}

const bytes = (base64: string) => new Uint8Array(Buffer.from(base64, 'base64'));
const proofOf = (proof: string[] | null) => (proof ?? []).map(bytes);
const base64 = (hashes: Uint8Array[]) => hashes.map((hash) => Buffer.from(hash).toString('base64'));

const standardLeaves = ['', '00', '10', '2021', '3031', '40414243', '5051525354555657', '606162636465666768696a6b6c6d6e6f'].map(
  (text) => leafHash(new Uint8Array(Buffer.from(text, 'hex'))),
);
const standardNodes = nodeReaderFromLeafHashes(standardLeaves);
const isStandardRoot = (size: number, root: string) =>
  size >= 1 && size <= 8 && Buffer.from(rootFromLeafHashes(standardLeaves.slice(0, size))).toString('base64') === root;

const inclusionProbes = probes<InclusionProbe>('inclusion');
const consistencyProbes = probes<ConsistencyProbe>('consistency');

describe('RFC 6962 inclusion vectors', () => {
  it('finds the probe files', () => {
    expect(inclusionProbes.length).toBeGreaterThan(80);
    expect(inclusionProbes.some(({ probe }) => !probe.wantErr)).toBe(true);
  });

  it.each(inclusionProbes)('$file', ({ probe }) => {
    const accepted = verifyInclusion(bytes(probe.leafHash), probe.leafIdx, probe.treeSize, proofOf(probe.proof), bytes(probe.root));
    expect(accepted).toBe(!probe.wantErr);
  });

  it('generates the same proofs as the reference for its happy paths', () => {
    const happy = inclusionProbes.filter(({ probe }) => !probe.wantErr && isStandardRoot(probe.treeSize, probe.root));
    expect(happy.length).toBeGreaterThanOrEqual(4);
    for (const { probe } of happy) {
      expect(base64(inclusionProof(probe.leafIdx, probe.treeSize, standardNodes))).toEqual(probe.proof ?? []);
    }
  });
});

describe('RFC 6962 consistency vectors', () => {
  it('finds the probe files', () => {
    expect(consistencyProbes.length).toBeGreaterThan(80);
    expect(consistencyProbes.some(({ probe }) => !probe.wantErr)).toBe(true);
  });

  it.each(consistencyProbes)('$file', ({ probe }) => {
    const accepted = verifyConsistency(probe.size1, probe.size2, proofOf(probe.proof), bytes(probe.root1), bytes(probe.root2));
    expect(accepted).toBe(!probe.wantErr);
  });

  it('generates the same proofs as the reference for its happy paths', () => {
    const happy = consistencyProbes.filter(
      ({ probe }) => !probe.wantErr && isStandardRoot(probe.size1, probe.root1) && isStandardRoot(probe.size2, probe.root2),
    );
    expect(happy.length).toBeGreaterThanOrEqual(4);
    for (const { probe } of happy) {
      expect(base64(consistencyProof(probe.size1, probe.size2, standardNodes))).toEqual(probe.proof ?? []);
    }
  });
});
