import { useQuery } from '@tanstack/react-query';
import { apiRequest } from '../../api/client';
import { queryKeys } from '../../api/keys';
import type { Actor, ApprovalDetail } from '../../api/types';
import { ProblemAlert } from '../../components/problem-alert';

/** A delegation chain deeper than this is shown cut off rather than walked forever. */
const MAX_ANCESTORS = 32;

/**
 * The requesting actor and every actor above it, up to the one a person started: an approver
 * sees on whose behalf, and through which delegations, the call is made.
 */
export function ActorChain({ approval }: { approval: ApprovalDetail }) {
  const parentId = approval.actor?.parent_id ?? null;
  const ancestors = useQuery({
    queryKey: queryKeys.ancestors(parentId),
    queryFn: () => walkAncestors(parentId),
    enabled: parentId !== null,
  });
  const actor = approval.actor;
  return (
    <section aria-labelledby="chain-heading">
      <h2 id="chain-heading">Actor chain</h2>
      {actor === null ? (
        <p className="muted">
          Actor <code>{approval.actor_id}</code> is no longer recorded.
        </p>
      ) : (
        <ol aria-label="Actor chain" className="actor-chain">
          <li>
            <ActorLine id={actor.id} actorClass={actor.class} principal={actor.principal} role="requesting actor" />
          </li>
          {ancestors.data?.actors.map((ancestor, index, list) => (
            <li key={ancestor.id}>
              <ActorLine
                id={ancestor.id}
                actorClass={ancestor.class}
                principal={ancestor.principal}
                role={`${ancestor.kind}, ${ancestor.state}; spawned ${(list[index - 1] ?? actor).id}`}
              />
            </li>
          ))}
        </ol>
      )}
      {ancestors.data?.truncated === true ? <p>The chain continues beyond {MAX_ANCESTORS} ancestors; only those are shown.</p> : null}
      {parentId !== null && ancestors.isPending ? <p>Loading parent actors…</p> : null}
      <ProblemAlert error={ancestors.error} context="Could not walk the actor chain" />
    </section>
  );
}

function ActorLine({ id, actorClass, principal, role }: { id: string; actorClass: string; principal: string; role: string }) {
  return (
    <>
      <code>{id}</code> · class <strong>{actorClass}</strong> · principal {principal} <span className="muted">({role})</span>
    </>
  );
}

/** Follows parent_id upwards one GET at a time; stops at a root, a repeat or the depth limit. */
async function walkAncestors(parentId: string | null): Promise<{ actors: Actor[]; truncated: boolean }> {
  const actors: Actor[] = [];
  const seen = new Set<string>();
  let next = parentId;
  while (next !== null && !seen.has(next)) {
    if (actors.length === MAX_ANCESTORS) return { actors, truncated: true };
    seen.add(next);
    const actor = await apiRequest<Actor>(`/api/v1/agents/${encodeURIComponent(next)}`);
    actors.push(actor);
    next = actor.parent_id;
  }
  return { actors, truncated: false };
}
