import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { apiRequest } from '../../api/client';
import { queryKeys } from '../../api/keys';
import { type Actor, ENDED_ACTOR_STATES, type Me } from '../../api/types';
import { StateBadge } from '../../components/badges';
import { ProblemAlert } from '../../components/problem-alert';
import { Age, Expiry } from '../../components/timestamp';
import { useNow } from '../../time';
import { KillDialog } from './kill-dialog';

/** Actors under each parent id; actors whose parent is not in the list are roots. */
function childrenByParent(actors: Actor[]): { roots: Actor[]; children: Map<string, Actor[]> } {
  const ids = new Set(actors.map((actor) => actor.id));
  const children = new Map<string, Actor[]>();
  const roots: Actor[] = [];
  const oldestFirst = actors.toSorted((left, right) => Date.parse(left.created_at) - Date.parse(right.created_at));
  for (const actor of oldestFirst) {
    if (actor.parent_id === null || !ids.has(actor.parent_id)) roots.push(actor);
    else children.set(actor.parent_id, [...(children.get(actor.parent_id) ?? []), actor]);
  }
  return { roots, children };
}

/** Every actor as a tree of delegations, with a kill switch for those still alive (admin scope). */
export function ActorsView({ me }: { me: Me }) {
  const actors = useQuery({
    queryKey: queryKeys.actors,
    queryFn: () => apiRequest<{ actors: Actor[] }>('/api/v1/agents?limit=200'),
    refetchInterval: 5000,
  });
  const now = useNow(1000);
  const [target, setTarget] = useState<Actor | null>(null);
  const [killed, setKilled] = useState<string[] | null>(null);
  const tree = actors.data === undefined ? undefined : childrenByParent(actors.data.actors);
  const renderActors = (list: Actor[]) => (
    <ul className="actor-tree">
      {list.map((actor) => (
        <li key={actor.id}>
          <ActorCard actor={actor} now={now} canKill={me.scopes.admin} onKill={() => setTarget(actor)} />
          {tree?.children.has(actor.id) === true ? renderActors(tree.children.get(actor.id)!) : null}
        </li>
      ))}
    </ul>
  );
  return (
    <>
      <h1>Actors</h1>
      {me.scopes.admin ? null : <p className="note">Your key does not have the admin scope, so Kill is disabled.</p>}
      <div role="status">
        {killed === null ? null : (
          <p className="alert alert-ok">
            {killed.length === 0 ? 'No live actor was killed.' : `Killed ${killed.length} ${killed.length === 1 ? 'actor' : 'actors'}: ${killed.join(', ')}`}
          </p>
        )}
      </div>
      <ProblemAlert error={actors.error} context="Could not load actors" />
      {tree === undefined ? (
        actors.isPending ? <p>Loading…</p> : null
      ) : tree.roots.length === 0 ? (
        <p className="empty">No actors</p>
      ) : (
        <section aria-label="Actor tree">{renderActors(tree.roots)}</section>
      )}
      {target === null ? null : (
        <KillDialog
          actor={target}
          onClose={() => setTarget(null)}
          onKilled={(ids) => {
            setKilled(ids);
            setTarget(null);
          }}
        />
      )}
    </>
  );
}

function ActorCard({ actor, now, canKill, onKill }: { actor: Actor; now: number; canKill: boolean; onKill: () => void }) {
  const live = !ENDED_ACTOR_STATES.includes(actor.state);
  return (
    <div className="actor-card">
      <span>
        <code>{actor.id}</code> <StateBadge state={actor.state} live={live} />
      </span>
      <span>
        class <strong>{actor.class}</strong> · {actor.kind} · principal {actor.principal}
      </span>
      <span>
        session <code>{actor.session_id}</code>
      </span>
      <span>
        token {live ? <Expiry iso={actor.token_expires_at} now={now} /> : <span className="muted">no longer accepted</span>}
      </span>
      <span>
        heartbeat <Age iso={actor.last_heartbeat} now={now} />
      </span>
      {live ? (
        <button type="button" className="danger" disabled={!canKill} onClick={onKill}>
          Kill<span className="visually-hidden"> {actor.id}</span>
        </button>
      ) : null}
    </div>
  );
}
