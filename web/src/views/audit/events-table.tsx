import { useMutation } from '@tanstack/react-query';
import { Fragment, useState } from 'react';
import { apiResponse } from '../../api/client';
import type { AuditEvent } from '../../api/types';
import { JsonView } from '../../components/json-view';
import { ProblemAlert } from '../../components/problem-alert';
import { Timestamp } from '../../components/timestamp';

/** Hex characters of a hash shown in the table; the whole value is one click away. */
const HASH_PREFIX = 12;
const COLUMNS = 11;

/**
 * Audit events with their chain links. Each row's previous hash points at the event it extends
 * when that event is in the results, so a reader can walk the chain by keyboard.
 */
export function EventsTable({ events }: { events: AuditEvent[] }) {
  const byHash = new Map(events.map((event) => [event.hash, event]));
  return (
    <div className="table-scroll">
      <table aria-label="Audit events" className="events">
        <thead>
          <tr>
            <th scope="col">ID</th>
            <th scope="col">Session</th>
            <th scope="col">Seq</th>
            <th scope="col">Type</th>
            <th scope="col">Actor</th>
            <th scope="col">Principal</th>
            <th scope="col">Time</th>
            <th scope="col">Hash</th>
            <th scope="col">Previous</th>
            <th scope="col">Payload</th>
            <th scope="col">Proof</th>
          </tr>
        </thead>
        <tbody>
          {events.map((event) => (
            <EventRow key={event.id} event={event} previous={byHash.get(event.prev_hash)} />
          ))}
        </tbody>
      </table>
    </div>
  );
}

function EventRow({ event, previous }: { event: AuditEvent; previous: AuditEvent | undefined }) {
  const [showPayload, setShowPayload] = useState(false);
  const payloadId = `audit-payload-${event.id}`;
  return (
    <Fragment>
      <tr id={rowId(event.id)} tabIndex={-1}>
        <th scope="row">{event.id}</th>
        <td>
          <code>{event.session_id}</code>
        </td>
        <td>{event.chain_seq}</td>
        <td>{event.type}</td>
        <td>{event.actor_id === null ? <span className="muted">none</span> : <code>{event.actor_id}</code>}</td>
        <td>{event.principal ?? <span className="muted">none</span>}</td>
        <td>
          <Timestamp iso={event.at} />
        </td>
        <td>
          <HashValue hash={event.hash} />
        </td>
        <td>
          <ChainLink event={event} previous={previous} />
        </td>
        <td>
          <button type="button" aria-expanded={showPayload} aria-controls={showPayload ? payloadId : undefined} onClick={() => setShowPayload(!showPayload)}>
            {showPayload ? 'Hide' : 'Show'}
            <span className="visually-hidden"> payload of event {event.id}</span>
          </button>
        </td>
        <td>
          <ProofButton eventId={event.id} />
        </td>
      </tr>
      {showPayload ? (
        <tr id={payloadId} className="payload-row">
          <td colSpan={COLUMNS}>
            <JsonView value={event.payload} />
          </td>
        </tr>
      ) : null}
    </Fragment>
  );
}

/** A hash as its prefix, expandable to the full value (also in the tooltip). */
function HashValue({ hash }: { hash: string }) {
  return (
    <details className="hash-details">
      <summary title={hash}>
        <code>{hash.slice(0, HASH_PREFIX)}</code>
      </summary>
      <code className="hash">{hash}</code>
    </details>
  );
}

/** Moves focus to the event this one extends; hash links cannot be used, the hash holds the route. */
function ChainLink({ event, previous }: { event: AuditEvent; previous: AuditEvent | undefined }) {
  if (event.chain_seq === 0 || previous === undefined) {
    return (
      <code title={event.prev_hash} className="muted">
        {event.prev_hash.slice(0, HASH_PREFIX)}
      </code>
    );
  }
  const jump = () => {
    const row = document.getElementById(rowId(previous.id));
    row?.scrollIntoView({ block: 'center' });
    row?.focus();
  };
  return (
    <button type="button" className="link-button" title={event.prev_hash} onClick={jump}>
      <code>{event.prev_hash.slice(0, HASH_PREFIX)}</code>
      <span className="visually-hidden"> go to previous event {previous.id}</span>
      <span aria-hidden="true"> ↑ #{previous.id}</span>
    </button>
  );
}

/**
 * Fetches the event's inclusion proof with the operator's key and saves it as a file; a plain
 * link could not send the Authorization header.
 */
function ProofButton({ eventId }: { eventId: number }) {
  const download = useMutation({ mutationFn: () => downloadProof(eventId) });
  return (
    <>
      <button type="button" onClick={() => download.mutate()} disabled={download.isPending}>
        Download proof
      </button>
      <ProblemAlert error={download.error} context="Proof not downloaded" />
    </>
  );
}

async function downloadProof(eventId: number): Promise<void> {
  const response = await apiResponse(`/api/v1/audit/events/${eventId}/proof`);
  const url = URL.createObjectURL(await response.blob());
  const link = document.createElement('a');
  link.href = url;
  link.download = `aosiq-event-${eventId}.proof.json`;
  document.body.append(link);
  link.click();
  link.remove();
  // Revoked on the next turn: some browsers read the URL after click() returns.
  window.setTimeout(() => URL.revokeObjectURL(url), 0);
}

function rowId(eventId: number): string {
  return `audit-event-${eventId}`;
}
