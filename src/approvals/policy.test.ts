import { describe, expect, it } from 'vitest';
import { configSchema } from '../config/index.js';
import { DEFAULT_POLICY, resolvePolicy } from './policy.js';

describe('resolvePolicy', () => {
  const policies = {
    default: { expires_after_seconds: 600, separation_of_duties: true },
    classes: { deployer: { quorum: 2, expires_after_seconds: 300 } },
    tools: { 'fs.delete': { quorum: 3, approvers: ['a', 'b', 'c'] } },
  };

  it('takes each setting from the most specific place that names it', () => {
    expect(resolvePolicy(policies, 'fs.delete', 'deployer')).toEqual({ expiresAfterSeconds: 300, quorum: 3, approvers: ['a', 'b', 'c'], separationOfDuties: true });
    expect(resolvePolicy(policies, 'command.deploy', 'deployer')).toEqual({ expiresAfterSeconds: 300, quorum: 2, approvers: null, separationOfDuties: true });
    expect(resolvePolicy(policies, 'command.deploy', 'janitor')).toEqual({ ...DEFAULT_POLICY, expiresAfterSeconds: 600 });
  });

  it('falls back to 24 hours, one approver, anyone, separation of duties on', () => {
    expect(resolvePolicy(undefined, 'fs.delete', 'janitor')).toEqual({ expiresAfterSeconds: 86_400, quorum: 1, approvers: null, separationOfDuties: true });
  });

  it('refuses a quorum the approver list could never reach, and names it', () => {
    const parsed = configSchema.safeParse({ version: 1, approvals: { tools: { 'fs.delete': { quorum: 3, approvers: ['a', 'b'] } } } });
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0]).toMatchObject({ path: ['approvals', 'tools', 'fs.delete'], message: expect.stringMatching(/quorum is larger than the list of approvers/) });
  });
});
