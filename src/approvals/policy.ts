/** How one irreversible call must be approved. */
export interface ApprovalPolicy {
  expiresAfterSeconds: number;
  /** Distinct eligible approvers needed. */
  quorum: number;
  /** Principals who may approve; null: anyone the API lets approve. */
  approvers: string[] | null;
  /** The principal that caused the request (and the actor's owner) may not approve it. */
  separationOfDuties: boolean;
}

interface PolicySetting {
  expires_after_seconds?: number | undefined;
  quorum?: number | undefined;
  approvers?: string[] | undefined;
  separation_of_duties?: boolean | undefined;
}

export interface ApprovalPolicies {
  default: PolicySetting;
  classes: Record<string, PolicySetting>;
  tools: Record<string, PolicySetting>;
}

export const DEFAULT_POLICY: ApprovalPolicy = { expiresAfterSeconds: 86_400, quorum: 1, approvers: null, separationOfDuties: true };

/**
 * The policy for a call of `tool` by an actor of `className`: each setting from the most
 * specific place that names it (the tool, then the class, then the default section), else the
 * built-in default (24 h, one approver, anyone, separation of duties on).
 *
 * @example
 * resolvePolicy(config.approvals, 'fs.delete', 'janitor'); // { quorum: 2, ... }
 */
export function resolvePolicy(policies: ApprovalPolicies | undefined, tool: string, className: string): ApprovalPolicy {
  const layers = policies ? [policies.tools[tool], policies.classes[className], policies.default] : [];
  const pick = <K extends keyof PolicySetting>(key: K): PolicySetting[K] => layers.find((layer) => layer?.[key] !== undefined)?.[key];
  return {
    expiresAfterSeconds: pick('expires_after_seconds') ?? DEFAULT_POLICY.expiresAfterSeconds,
    quorum: pick('quorum') ?? DEFAULT_POLICY.quorum,
    approvers: pick('approvers') ?? null,
    separationOfDuties: pick('separation_of_duties') ?? DEFAULT_POLICY.separationOfDuties,
  };
}
