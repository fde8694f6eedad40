import { useQuery } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { apiRequest, queryString } from '../../api/client';
import { queryKeys } from '../../api/keys';
import type { AuditEvent } from '../../api/types';
import { ProblemAlert } from '../../components/problem-alert';
import { localToIso } from '../../time';
import { EventsTable } from './events-table';
import { SessionVerification } from './verification';

interface Filters {
  session: string;
  actor: string;
  type: string;
  since: string;
  until: string;
  limit: string;
}

const NO_FILTERS: Filters = { session: '', actor: '', type: '', since: '', until: '', limit: '100' };

const FIELDS: { name: keyof Filters; label: string; type: string }[] = [
  { name: 'session', label: 'Session', type: 'text' },
  { name: 'actor', label: 'Actor', type: 'text' },
  { name: 'type', label: 'Type', type: 'text' },
  { name: 'since', label: 'Since', type: 'datetime-local' },
  { name: 'until', label: 'Until', type: 'datetime-local' },
  { name: 'limit', label: 'Limit', type: 'number' },
];

/** The query string for a filter set; empty fields are left out rather than sent blank. */
function eventsQuery(filters: Filters): string {
  return queryString({
    session_id: filters.session.trim(),
    actor_id: filters.actor.trim(),
    type: filters.type.trim(),
    since: localToIso(filters.since),
    until: localToIso(filters.until),
    limit: filters.limit.trim(),
  });
}

/** The audit explorer: filter the hash-chained log, inspect payloads, download proofs, verify a session. */
export function AuditExplorer() {
  const [draft, setDraft] = useState<Filters>(NO_FILTERS);
  const [applied, setApplied] = useState<Filters>(NO_FILTERS);
  const query = eventsQuery(applied);
  const events = useQuery({
    queryKey: queryKeys.auditEvents(query),
    queryFn: () => apiRequest<{ events: AuditEvent[] }>(`/api/v1/audit/events${query}`),
  });
  const search = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    setApplied(draft);
  };
  const session = draft.session.trim();
  return (
    <>
      <h1>Audit log</h1>
      <form className="filters" onSubmit={search} aria-label="Audit filters">
        {FIELDS.map((field) => (
          <div className="field" key={field.name}>
            <label htmlFor={`audit-${field.name}`}>{field.label}</label>
            <input
              id={`audit-${field.name}`}
              type={field.type}
              value={draft[field.name]}
              spellCheck={false}
              {...(field.type === 'number' ? { min: 1, max: 1000 } : {})}
              {...(field.type === 'datetime-local' ? { step: 1 } : {})}
              onChange={(change) => setDraft({ ...draft, [field.name]: change.target.value })}
            />
          </div>
        ))}
        <div className="field field-actions">
          <button type="submit" className="primary">
            Search
          </button>
          <button
            type="button"
            onClick={() => {
              setDraft(NO_FILTERS);
              setApplied(NO_FILTERS);
            }}
          >
            Clear
          </button>
        </div>
      </form>
      {session === '' ? null : <SessionVerification key={session} sessionId={session} />}
      <ProblemAlert error={events.error} context="Could not load audit events" />
      {events.data === undefined ? (
        events.isFetching ? <p>Loading…</p> : null
      ) : events.data.events.length === 0 ? (
        <p className="empty">No audit events match these filters</p>
      ) : (
        <EventsTable events={events.data.events} />
      )}
    </>
  );
}
