import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { apiRequest, queryString } from '../../api/client';
import { queryKeys } from '../../api/keys';
import { COST_DIMENSIONS, type CostDimension, type CostRow } from '../../api/types';
import { ProblemAlert } from '../../components/problem-alert';
import { formatDuration, localToIso } from '../../time';
import { CostChart } from './cost-chart';
import { HeadroomView } from './headroom';

const DIMENSION_NAMES: Record<CostDimension, string> = { class: 'actor class', session: 'session', day: 'UTC day', model: 'backend and model' };

const numbers = new Intl.NumberFormat();

/** Spend from the ledger, grouped by actor class, session, day or model. */
export function CostsView() {
  const [dimension, setDimension] = useState<CostDimension>('class');
  const [since, setSince] = useState('');
  const [until, setUntil] = useState('');
  const query = queryString({ by: dimension, since: localToIso(since), until: localToIso(until) });
  const costs = useQuery({
    queryKey: queryKeys.costs(query),
    queryFn: () => apiRequest<{ by: CostDimension; rows: CostRow[] }>(`/api/v1/costs${query}`),
    refetchInterval: 10_000,
  });
  const rows = costs.data?.rows;
  return (
    <>
      <h1>Costs</h1>
      <div className="filters">
        <div className="field">
          <label htmlFor="costs-by">Group by</label>
          <select id="costs-by" value={dimension} onChange={(event) => setDimension(toDimension(event.target.value))}>
            {COST_DIMENSIONS.map((option) => (
              <option key={option} value={option}>
                {DIMENSION_NAMES[option]}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="costs-since">Since</label>
          <input id="costs-since" type="datetime-local" step={1} value={since} onChange={(event) => setSince(event.target.value)} />
        </div>
        <div className="field">
          <label htmlFor="costs-until">Until</label>
          <input id="costs-until" type="datetime-local" step={1} value={until} onChange={(event) => setUntil(event.target.value)} />
        </div>
      </div>
      <ProblemAlert error={costs.error} context="Could not load costs" />
      {rows === undefined ? (
        costs.isPending ? <p>Loading…</p> : null
      ) : rows.length === 0 ? (
        <p className="empty">No ledger entries in this period</p>
      ) : (
        <>
          <CostChart rows={rows} dimension={DIMENSION_NAMES[dimension]} />
          <CostTable rows={rows} dimension={dimension} />
        </>
      )}
      <HeadroomView />
    </>
  );
}

function CostTable({ rows, dimension }: { rows: CostRow[]; dimension: CostDimension }) {
  return (
    <div className="table-scroll">
      <table aria-label={`Spend by ${DIMENSION_NAMES[dimension]}`}>
        <thead>
          <tr>
            <th scope="col">{capitalize(DIMENSION_NAMES[dimension])}</th>
            <th scope="col">Entries</th>
            <th scope="col">US dollars</th>
            <th scope="col">Unpriced</th>
            <th scope="col">Estimated</th>
            <th scope="col">Input tokens</th>
            <th scope="col">Output tokens</th>
            <th scope="col">Wall time</th>
            <th scope="col">CPU time</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => (
            <tr key={row.key}>
              <th scope="row">
                <code>{row.key}</code>
              </th>
              <td className="number">{numbers.format(row.entries)}</td>
              <td className="number">${row.usd}</td>
              <td className={`number ${row.unpriced > 0 ? 'warning' : ''}`} title="Entries with no price: their cost is unknown, not zero">
                {numbers.format(row.unpriced)}
              </td>
              <td className="number" title="Entries charged their reserved worst case">
                {numbers.format(row.estimated)}
              </td>
              <td className="number">{numbers.format(row.input_tokens)}</td>
              <td className="number">{numbers.format(row.output_tokens)}</td>
              <td className="number">{formatMilliseconds(row.wall_ms)}</td>
              <td className="number">{formatMilliseconds(row.cpu_ms)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function toDimension(value: string): CostDimension {
  return COST_DIMENSIONS.find((dimension) => dimension === value) ?? 'class';
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** Sub-second times stay in milliseconds: a tool run of 40 ms is not "0s". */
function formatMilliseconds(milliseconds: number): string {
  return milliseconds < 1000 ? `${milliseconds} ms` : formatDuration(milliseconds);
}
