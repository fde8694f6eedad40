export * from './approval.js';
export { decideApproval, findApproval, listApprovals } from './decide.js';
export { consumeApproval, type ProposedCall, requestApproval } from './request.js';
