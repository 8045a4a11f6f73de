import { BarController, BarElement, CategoryScale, Chart, Legend, LinearScale, Tooltip } from 'chart.js';
import { useEffect, useRef } from 'react';

Chart.register(BarController, BarElement, CategoryScale, LinearScale, Legend, Tooltip);

export interface DayCounts {
  /** `YYYY-MM-DD` (UTC). */
  day: string;
  sent: number;
  received: number;
}

/**
 * Messages sent and received per UTC day, as a bar chart (Chart.js, drawn on a canvas); the same
 * figures follow as a table, which is what screen readers and keyboard users get.
 */
export function MessagesChart({ days }: { days: DayCounts[] }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    if (!canvas.current) return;
    const chart = new Chart(canvas.current, {
      type: 'bar',
      data: {
        labels: days.map((d) => d.day.slice(5)),
        datasets: [
          { label: 'Sent', data: days.map((d) => d.sent), backgroundColor: '#1f4e8c' },
          { label: 'Received', data: days.map((d) => d.received), backgroundColor: '#3a9d6b' },
        ],
      },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        scales: { y: { beginAtZero: true, ticks: { precision: 0 } } },
      },
    });
    return () => chart.destroy();
  }, [days]);
  const total = days.reduce((a, d) => ({ sent: a.sent + d.sent, received: a.received + d.received }), {
    sent: 0,
    received: 0,
  });
  return (
    <figure className="chart">
      <div className="chart-box">
        <canvas
          ref={canvas}
          role="img"
          aria-label={`Messages per day: ${total.sent} sent and ${total.received} received over ${days.length} days`}
        />
      </div>
      <figcaption>
        <details>
          <summary>Figures per day</summary>
          <table className="compact">
            <caption>Messages per day (UTC)</caption>
            <thead>
              <tr>
                <th scope="col">Day</th>
                <th scope="col">Sent</th>
                <th scope="col">Received</th>
              </tr>
            </thead>
            <tbody>
              {days.map((d) => (
                <tr key={d.day} data-day={d.day}>
                  <th scope="row">{d.day}</th>
                  <td data-testid="sent">{d.sent}</td>
                  <td data-testid="received">{d.received}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </details>
      </figcaption>
    </figure>
  );
}
