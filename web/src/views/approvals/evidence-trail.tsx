import type { AuditEvent } from '../../api/types';
import { Timestamp } from '../../components/timestamp';

/** How many hex characters of a hash identify it at a glance; the full value is in the tooltip. */
const HASH_PREFIX = 12;

/**
 * The session's audit events up to the request: what the actor did before asking, so the
 * approver can judge whether the call follows from its work.
 */
export function EvidenceTrail({ events }: { events: AuditEvent[] }) {
  return (
    <section aria-labelledby="evidence-heading">
      <h2 id="evidence-heading">Evidence trail</h2>
      {events.length === 0 ? (
        <p className="muted">No audit events recorded for this session.</p>
      ) : (
        <div className="table-scroll">
          <table aria-label="Evidence trail">
            <thead>
              <tr>
                <th scope="col">Seq</th>
                <th scope="col">Type</th>
                <th scope="col">Time</th>
                <th scope="col">Principal</th>
                <th scope="col">Hash</th>
              </tr>
            </thead>
            <tbody>
              {events.map((event) => (
                <tr key={event.id}>
                  <th scope="row">{event.chain_seq}</th>
                  <td>{event.type}</td>
                  <td>
                    <Timestamp iso={event.at} />
                  </td>
                  <td>{event.principal ?? <span className="muted">none</span>}</td>
                  <td>
                    <code title={event.hash}>{event.hash.slice(0, HASH_PREFIX)}</code>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
