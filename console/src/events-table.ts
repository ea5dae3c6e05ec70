import { isFailure } from './charts';
import { formatTime, h } from './dom';

// One security event as a table row, on the events page and in a user's detail.

export const EVENT_FIELDS = 'id type severity userId ip createdAt lastSeenAt count';

export interface SecurityEvent {
  id: string;
  type: string;
  severity: string;
  userId: string | null;
  ip: string | null;
  createdAt: string;
  lastSeenAt: string;
  count: number;
}

export type EventColumn = 'when' | 'type' | 'severity' | 'user' | 'ip' | 'count';

export function eventRow(event: SecurityEvent, columns: EventColumn[]): HTMLTableRowElement {
  const cell: Record<EventColumn, () => HTMLTableCellElement> = {
    when: () => h('td', {}, formatTime(event.lastSeenAt)),
    type: () => h('td', {}, h('span', { class: isFailure(event.type) ? 'event-type failure' : 'event-type' }, event.type)),
    severity: () => h('td', { class: `severity-${event.severity.toLowerCase()}` }, event.severity),
    user: () => h('td', {}, event.userId ? h('a', { href: `#/users/${event.userId}`, class: 'id' }, event.userId.slice(0, 8)) : '—'),
    ip: () => h('td', {}, event.ip ?? '—'),
    count: () => h('td', {}, String(event.count)),
  };
  return h(
    'tr',
    { 'data-event-id': event.id, 'data-type': event.type, class: isFailure(event.type) ? 'failure' : undefined },
    ...columns.map((column) => cell[column]()),
  );
}
