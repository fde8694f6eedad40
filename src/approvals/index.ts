export * from './approval.js';
export { type Decision, decideApproval, findApproval, listApprovals, listVotes } from './decide.js';
export { type ApprovalRequestOutcome, consumeApproval, type ProposedCall, recordExpiry, requestApproval } from './request.js';
export { type ApprovalPolicies, type ApprovalPolicy, DEFAULT_POLICY, resolvePolicy } from './policy.js';
