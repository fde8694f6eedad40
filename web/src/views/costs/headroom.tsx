import { useQuery } from '@tanstack/react-query';
import { apiRequest } from '../../api/client';
import { queryKeys } from '../../api/keys';
import type { Against, Headroom } from '../../api/types';
import { ProblemAlert } from '../../components/problem-alert';

/**
 * How close each live session and each class today is to its ceiling, counted as the runtime
 * counts before a model call: settled spend plus the worst case of calls still running.
 */
export function HeadroomView() {
  const headroom = useQuery({ queryKey: queryKeys.headroom, queryFn: () => apiRequest<Headroom>('/api/v1/costs/headroom'), refetchInterval: 5_000 });
  const data = headroom.data;
  return (
    <section aria-labelledby="headroom-heading">
      <h2 id="headroom-heading">Ceilings</h2>
      <ProblemAlert error={headroom.error} context="Could not load ceilings" />
      {data === undefined ? null : (
        <>
          {data.sessions.length === 0 ? (
            <p className="empty">No live sessions</p>
          ) : (
            <div className="table-scroll">
              <table aria-label="Live sessions against their ceilings">
                <thead>
                  <tr>
                    <th scope="col">Session</th>
                    <th scope="col">Class</th>
                    <th scope="col">Live actors</th>
                    <th scope="col">Spent</th>
                    <th scope="col">Held</th>
                    <th scope="col">Session ceiling</th>
                  </tr>
                </thead>
                <tbody>
                  {data.sessions.map((row) => (
                    <tr key={`${row.session_id}:${row.class}`}>
                      <th scope="row">
                        <code>{row.session_id}</code>
                      </th>
                      <td>{row.class}</td>
                      <td className="number">{row.live_actors}</td>
                      <td className="number">${row.spent_usd}</td>
                      <td className="number">${row.held_usd}</td>
                      <td>
                        <Usage row={row} label={`Session ${row.session_id}, class ${row.class}`} />
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
          <div className="table-scroll">
            <table aria-label="Classes today against their daily ceilings">
              <thead>
                <tr>
                  <th scope="col">Class</th>
                  <th scope="col">Spent today (UTC)</th>
                  <th scope="col">Held</th>
                  <th scope="col">Daily ceiling</th>
                </tr>
              </thead>
              <tbody>
                {data.classes.map((row) => (
                  <tr key={row.class}>
                    <th scope="row">{row.class}</th>
                    <td className="number">${row.spent_usd}</td>
                    <td className="number">${row.held_usd}</td>
                    <td>
                      <Usage row={row} label={`Class ${row.class} today`} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      )}
    </section>
  );
}

/** A meter and the figures in words; past 80 % it is marked, at 100 % the next call is refused. */
function Usage({ row, label }: { row: Against; label: string }) {
  if (row.ceiling_usd === null || row.used === null) return <span className="muted">no ceiling</span>;
  const percent = Math.round(row.used * 100);
  return (
    <span className={row.used >= 0.8 ? 'warning' : undefined}>
      <meter min={0} max={1} low={0.5} high={0.8} optimum={0} value={Math.min(row.used, 1)} aria-label={`${label}: ${percent}% of its ceiling`} /> {percent}% of $
      {row.ceiling_usd}
    </span>
  );
}
