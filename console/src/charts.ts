import { BarController, BarElement, CategoryScale, Chart, Legend, LinearScale, Tooltip, type ChartDataset } from 'chart.js';
import { h } from './dom';

// The events charts, from securityEventStats (computed by the server in SQL). Every chart has its numbers in
// a table beside it (hidden until asked for, read by screen readers), which the tests read too.

Chart.register(BarController, BarElement, CategoryScale, LinearScale, Legend, Tooltip);

export interface StatsPoint {
  start: string;
  count: number;
}
export interface Series {
  type: string;
  severity: string;
  total: number;
  points: StatsPoint[];
}
export interface FailureSource {
  ip: string;
  count: number;
  lastSeenAt: string;
}
export interface Stats {
  since: string;
  until: string;
  bucket: 'HOUR' | 'DAY';
  total: number;
  series: Series[];
  topFailureSources: FailureSource[];
}

/**
 * The failures an operator must see first (the server's failure types, those topFailureSources counts):
 * strong, saturated colours; everything else is muted.
 */
export const FAILURE_COLOURS: Readonly<Record<string, string>> = {
  LOGIN_FAILED: '#d7191c',
  REFRESH_TOKEN_REUSE: '#7b0a8f',
  REVOKED_TOKEN_REUSE: '#e6007e',
  ACCOUNT_LOCKED: '#ff7f00',
  MFA_FAILED: '#b8860b',
  MFA_FAILURES_REPEATED: '#8c2d04',
  PASSKEY_CLONE_SUSPECTED: '#111111',
};
const MUTED = ['#9db4cc', '#b5c7a8', '#c9b8d6', '#d6c6a8', '#a8c9c6', '#c4c4c4', '#b9a8a0', '#a0aeb9'];

export const isFailure = (type: string): boolean => type in FAILURE_COLOURS;

function label(iso: string, bucket: 'HOUR' | 'DAY'): string {
  const date = new Date(iso);
  return bucket === 'HOUR'
    ? date.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' })
    : date.toLocaleDateString(undefined, { month: 'short', day: 'numeric' });
}

/** Failures first (in their fixed order), then the rest by volume. */
function ordered(series: Series[]): Series[] {
  const failures = Object.keys(FAILURE_COLOURS);
  return [...series].sort((a, b) => {
    const fa = failures.indexOf(a.type);
    const fb = failures.indexOf(b.type);
    if (fa !== -1 || fb !== -1) return (fa === -1 ? 99 : fa) - (fb === -1 ? 99 : fb);
    return b.total - a.total;
  });
}

export class EventsChart {
  private chart: Chart<'bar', number[], string> | undefined;

  /** `figure` holds a canvas and a table (both created here). */
  constructor(
    private readonly figure: HTMLElement,
    public caption: string,
  ) {}

  render(stats: Stats): void {
    const series = ordered(stats.series.filter((entry) => entry.total > 0));
    const buckets = (stats.series[0]?.points ?? []).map((point) => point.start);
    const labels = buckets.map((start) => label(start, stats.bucket));
    let muted = 0;
    const datasets: ChartDataset<'bar', number[]>[] = series.map((entry) => {
      const colour = FAILURE_COLOURS[entry.type] ?? MUTED[muted++ % MUTED.length];
      return {
        label: entry.type,
        data: entry.points.map((point) => point.count),
        backgroundColor: colour,
        borderColor: isFailure(entry.type) ? '#1b1b1b' : colour,
        borderWidth: isFailure(entry.type) ? 1 : 0,
        stack: 'events',
      };
    });
    this.figure.dataset.total = String(stats.total);
    this.figure.dataset.bucket = stats.bucket;
    this.renderTable(series, buckets, labels, stats);

    if (this.chart) {
      this.chart.data.labels = labels;
      this.chart.data.datasets = datasets;
      this.chart.update('none');
      return;
    }
    const canvas = this.figure.querySelector('canvas')!;
    this.chart = new Chart<'bar', number[], string>(canvas, {
      type: 'bar',
      data: { labels, datasets },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        interaction: { mode: 'index', intersect: false },
        scales: {
          x: { stacked: true, grid: { display: false }, ticks: { maxRotation: 0, autoSkipPadding: 8 } },
          y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } },
        },
        plugins: { legend: { position: 'bottom', labels: { boxWidth: 12 } } },
      },
    });
  }

  private renderTable(series: Series[], buckets: string[], labels: string[], stats: Stats): void {
    const table = h(
      'table',
      { class: 'chart-data' },
      h('caption', {}, `${this.caption}: ${stats.total} events`),
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          h('th', { scope: 'col' }, 'Type'),
          h('th', { scope: 'col' }, 'Total'),
          ...labels.map((text, index) => h('th', { scope: 'col', 'data-start': buckets[index] }, text)),
        ),
      ),
      h(
        'tbody',
        {},
        ...series.map((entry) =>
          h(
            'tr',
            { 'data-type': entry.type, 'data-total': String(entry.total), class: isFailure(entry.type) ? 'failure' : undefined },
            h('th', { scope: 'row' }, entry.type),
            h('td', {}, String(entry.total)),
            ...entry.points.map((point) => h('td', {}, String(point.count))),
          ),
        ),
      ),
    );
    this.figure.querySelector('table')?.remove();
    this.figure.querySelector('.table-scroll')!.append(table);
  }
}

/** Top failure sources: a horizontal bar chart and its table. */
export class SourcesChart {
  private chart: Chart<'bar', number[], string> | undefined;

  constructor(private readonly figure: HTMLElement) {}

  render(sources: FailureSource[]): void {
    const labels = sources.map((source) => source.ip);
    const data = sources.map((source) => source.count);
    const table = h(
      'table',
      { class: 'chart-data' },
      h('caption', {}, 'Top sources of failures'),
      h(
        'thead',
        {},
        h('tr', {}, h('th', { scope: 'col' }, 'IP address'), h('th', { scope: 'col' }, 'Failures'), h('th', { scope: 'col' }, 'Last seen')),
      ),
      h(
        'tbody',
        {},
        ...sources.map((source) =>
          h(
            'tr',
            { 'data-ip': source.ip, 'data-count': String(source.count) },
            h('th', { scope: 'row' }, source.ip),
            h('td', {}, String(source.count)),
            h('td', {}, new Date(source.lastSeenAt).toLocaleString()),
          ),
        ),
      ),
    );
    this.figure.querySelector('table')?.remove();
    this.figure.querySelector('.table-scroll')!.append(table);
    if (this.chart) {
      this.chart.data.labels = labels;
      this.chart.data.datasets[0].data = data;
      this.chart.update('none');
      return;
    }
    this.chart = new Chart<'bar', number[], string>(this.figure.querySelector('canvas')!, {
      type: 'bar',
      data: { labels, datasets: [{ label: 'Failures', data, backgroundColor: FAILURE_COLOURS.LOGIN_FAILED }] },
      options: {
        indexAxis: 'y',
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        scales: { x: { beginAtZero: true, ticks: { precision: 0 } } },
        plugins: { legend: { display: false } },
      },
    });
  }
}
