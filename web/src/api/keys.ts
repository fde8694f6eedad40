/**
 * Query keys in one place, so a decision or a kill can invalidate every view that shows what
 * it changed by prefix (['approvals'], ['actors']).
 */
export const queryKeys = {
  me: ['me'] as const,
  health: ['health'] as const,
  dashboard: ['dashboard'] as const,
  approvals: (status: 'pending' | 'recent') => ['approvals', 'list', status] as const,
  approval: (id: string) => ['approvals', 'detail', id] as const,
  actors: ['actors', 'list'] as const,
  ancestors: (parentId: string | null) => ['actors', 'ancestors', parentId] as const,
  auditEvents: (query: string) => ['audit', 'events', query] as const,
  costs: (query: string) => ['costs', query] as const,
  headroom: ['costs', 'headroom'] as const,
};
