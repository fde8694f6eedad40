import { BarController, BarElement, CategoryScale, Chart, LinearScale, Tooltip } from 'chart.js';
import { useEffect, useRef } from 'react';
import type { CostRow } from '../../api/types';

// Only the pieces a bar chart needs, so the rest of chart.js stays out of the bundle.
Chart.register(BarController, BarElement, CategoryScale, LinearScale, Tooltip);

/** Bars take the same blue as links, which keeps 4.5:1 against white. */
const BAR_COLOUR = '#0b57d0';

/**
 * Spend per group as a bar chart. The canvas is an image with a label; its numbers are in a
 * visually hidden table beside it for screen readers.
 *
 * @example
 * <CostChart rows={rows} dimension="class" />
 */
export function CostChart({ rows, dimension }: { rows: CostRow[]; dimension: string }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    if (canvas.current === null) return;
    const chart = new Chart(canvas.current, {
      type: 'bar',
      data: {
        labels: rows.map((row) => row.key),
        datasets: [{ label: 'US dollars', data: rows.map((row) => Number(row.usd)), backgroundColor: BAR_COLOUR }],
      },
      options: {
        animation: false,
        maintainAspectRatio: false,
        scales: { y: { beginAtZero: true, title: { display: true, text: 'US dollars' } } },
        plugins: { tooltip: { callbacks: { label: (item) => `$${rows[item.dataIndex]?.usd ?? ''}` } } },
      },
    });
    return () => chart.destroy();
  }, [rows]);
  const label = `Bar chart of spend in US dollars by ${dimension}`;
  return (
    <figure className="chart">
      <div className="chart-canvas">
        <canvas ref={canvas} role="img" aria-label={label} />
      </div>
      <table className="visually-hidden">
        <caption>{label}</caption>
        <thead>
          <tr>
            <th scope="col">{dimension}</th>
            <th scope="col">US dollars</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => (
            <tr key={row.key}>
              <th scope="row">{row.key}</th>
              <td>{row.usd}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </figure>
  );
}
