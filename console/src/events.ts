import { errorText, type Api } from './api';
import { EventsChart, SourcesChart, type Stats } from './charts';
import { busy, byId, say } from './dom';
import { eventRow, EVENT_FIELDS, type SecurityEvent } from './events-table';
import type { LiveEvent } from './live';

// The events page: charts from securityEventStats (the last 24 h by hour, or 7 d by day), the top sources of
// failures, and a filterable table of events; live events refresh both.

const PAGE_SIZE = 25;

/** Every SecurityEventType, for the filter (the console cannot introspect a production server). */
export const EVENT_TYPES = [
  'ACCOUNT_LOCKED',
  'EMAIL_CHANGED',
  'EMAIL_CHANGE_REQUESTED',
  'EMAIL_DELIVERY_FAILED',
  'EMAIL_VERIFIED',
  'LOGIN_FAILED',
  'LOGIN_SUCCEEDED',
  'MFA_CHALLENGE_EXPIRED',
  'MFA_DISABLED',
  'MFA_ENROLLED',
  'MFA_FAILED',
  'MFA_FAILURES_REPEATED',
  'MFA_RESET_BY_ADMIN',
  'PASSKEY_ADDED',
  'PASSKEY_CLONE_SUSPECTED',
  'PASSKEY_REMOVED',
  'PASSKEY_SIGN_IN',
  'PASSWORD_CHANGED',
  'PASSWORD_RESET',
  'PASSWORD_RESET_REQUESTED',
  'RECOVERY_CODE_USED',
  'REFRESH_TOKEN_REUSE',
  'REVOKED_TOKEN_REUSE',
  'ROLE_CHANGED',
  'SESSION_REVOKED',
  'USER_DISABLED',
  'USER_ENABLED',
];

const EVENTS = `query ConsoleEvents($type: SecurityEventType, $userId: ID, $first: Int, $after: String) {
  securityEvents(type: $type, userId: $userId, first: $first, after: $after) {
    edges { node { ${EVENT_FIELDS} } } pageInfo { hasNextPage endCursor }
  }
}`;
const STATS = `query ConsoleStats($since: DateTimeISO!, $bucket: StatsBucket!) {
  securityEventStats(since: $since, bucket: $bucket) {
    since until bucket total
    series { type severity total points { start count } }
    topFailureSources { ip count lastSeenAt }
  }
}`;

const RANGES = {
  '24h': { hours: 24, bucket: 'HOUR', caption: 'Events per hour, last 24 hours' },
  '7d': { hours: 24 * 7, bucket: 'DAY', caption: 'Events per day, last 7 days' },
} as const;
type Range = keyof typeof RANGES;

export class EventsPage {
  private filter: { type?: string; userId?: string } = {};
  private cursors: (string | undefined)[] = [undefined];
  private nextCursor: string | undefined;
  private range: Range = '24h';
  private readonly eventsChart: EventsChart;
  private readonly sourcesChart = new SourcesChart(byId('chart-sources'));
  private liveTimer: ReturnType<typeof setTimeout> | undefined;
  private loaded = false;

  constructor(private readonly api: Api) {
    this.eventsChart = new EventsChart(byId('chart-events'), RANGES['24h'].caption);
    const select = byId<HTMLSelectElement>('event-type');
    for (const type of EVENT_TYPES) select.append(new Option(type, type));
    const form = byId<HTMLFormElement>('event-filter');
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      const data = new FormData(form);
      this.filter = { type: String(data.get('type') ?? '') || undefined, userId: String(data.get('userId') ?? '').trim() || undefined };
      this.cursors = [undefined];
      void this.loadTable();
    });
    form.addEventListener('reset', () => {
      this.filter = {};
      this.cursors = [undefined];
      // After the form has cleared its fields.
      setTimeout(() => void this.loadTable());
    });
    byId('events-next').addEventListener('click', () => {
      this.cursors.push(this.nextCursor);
      void this.loadTable();
    });
    byId('events-previous').addEventListener('click', () => {
      if (this.cursors.length > 1) this.cursors.pop();
      void this.loadTable();
    });
    for (const range of Object.keys(RANGES) as Range[]) {
      byId(`range-${range}`).addEventListener('click', () => {
        this.range = range;
        for (const other of Object.keys(RANGES)) byId(`range-${other}`).setAttribute('aria-pressed', String(other === range));
        byId('chart-events-caption').textContent = RANGES[range].caption;
        void this.loadStats();
      });
    }
    for (const button of document.querySelectorAll<HTMLButtonElement>('.chart .show-table')) {
      button.addEventListener('click', () => {
        const open = button.getAttribute('aria-expanded') !== 'true';
        button.setAttribute('aria-expanded', String(open));
        button.textContent = open ? 'Hide the data' : 'Show the data';
        button.nextElementSibling!.classList.toggle('visually-hidden', !open);
      });
    }
  }

  /** The first time the page is shown, and on request. */
  async load(): Promise<void> {
    this.loaded = true;
    await Promise.all([this.loadStats(), this.loadTable()]);
  }

  async loadStats(): Promise<void> {
    const status = byId('stats-status');
    const { hours, bucket, caption } = RANGES[this.range];
    await busy(undefined, async () => {
      try {
        const since = new Date(Date.now() - hours * 3_600_000).toISOString();
        const { securityEventStats } = await this.api.request<{ securityEventStats: Stats }>(STATS, { since, bucket });
        this.eventsChart.caption = caption;
        this.eventsChart.render(securityEventStats);
        this.sourcesChart.render(securityEventStats.topFailureSources);
        say(status, '');
      } catch (error) {
        say(status, `The charts cannot be drawn: ${errorText(error)}`, 'error');
      }
    });
  }

  async loadTable(): Promise<void> {
    const status = byId('events-status');
    await busy(undefined, async () => {
      try {
        const after = this.cursors[this.cursors.length - 1];
        const { securityEvents } = await this.api.request<{
          securityEvents: { edges: { node: SecurityEvent }[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } };
        }>(EVENTS, { type: this.filter.type ?? null, userId: this.filter.userId ?? null, first: PAGE_SIZE, after: after ?? null });
        byId('events-table')
          .querySelector('tbody')!
          .replaceChildren(...securityEvents.edges.map(({ node }) => eventRow(node, ['when', 'type', 'severity', 'user', 'details', 'ip', 'count'])));
        this.nextCursor = securityEvents.pageInfo.endCursor ?? undefined;
        byId<HTMLButtonElement>('events-next').disabled = !securityEvents.pageInfo.hasNextPage;
        byId<HTMLButtonElement>('events-previous').disabled = this.cursors.length <= 1;
        byId('events-page-info').textContent = `Page ${this.cursors.length}`;
        say(status, securityEvents.edges.length === 0 ? 'No events match.' : '');
      } catch (error) {
        say(status, errorText(error), 'error');
      }
    });
  }

  /**
   * A live event: the charts and the table's first page are read again, once for a burst (a failed-login
   * storm is hundreds of events a second; the server counts them, the browser does not).
   */
  onLiveEvent(event: LiveEvent): void {
    if (!this.loaded) return;
    const matches = (!this.filter.type || this.filter.type === event.type) && (!this.filter.userId || this.filter.userId === event.userId);
    clearTimeout(this.liveTimer);
    this.liveTimer = setTimeout(() => {
      void this.loadStats();
      if (matches && this.cursors.length === 1) void this.loadTable();
    }, 300);
  }
}
