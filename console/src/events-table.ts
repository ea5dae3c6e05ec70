import { isFailure } from './charts';
import { formatTime, h } from './dom';

// One security event as a table row, on the events page and in a user's detail.

export const EVENT_FIELDS = 'id type severity userId ip createdAt lastSeenAt count details';

export interface SecurityEvent {
  id: string;
  type: string;
  severity: string;
  userId: string | null;
  ip: string | null;
  createdAt: string;
  lastSeenAt: string;
  count: number;
  details: Record<string, unknown>;
}

export type EventColumn = 'when' | 'type' | 'severity' | 'user' | 'details' | 'ip' | 'count';

export function eventRow(event: SecurityEvent, columns: EventColumn[]): HTMLTableRowElement {
  const cell: Record<EventColumn, () => HTMLTableCellElement> = {
    when: () => h('td', {}, formatTime(event.lastSeenAt)),
    type: () => h('td', {}, h('span', { class: isFailure(event.type) ? 'event-type failure' : 'event-type' }, event.type)),
    severity: () => h('td', { class: `severity-${event.severity.toLowerCase()}` }, event.severity),
    user: () => h('td', {}, event.userId ? h('a', { href: `#/users/${event.userId}`, class: 'id' }, event.userId.slice(0, 8)) : '—'),
    details: () => detailsCell(event.details),
    ip: () => h('td', {}, event.ip ?? '—'),
    count: () => h('td', {}, String(event.count)),
  };
  return h(
    'tr',
    { 'data-event-id': event.id, 'data-type': event.type, class: isFailure(event.type) ? 'failure' : undefined },
    ...columns.map((column) => cell[column]()),
  );
}

/** The event's facts in a line: "from USER, to ADMIN, by <admin>" (the acting admin links to their profile). */
function detailsCell(details: Record<string, unknown>): HTMLTableCellElement {
  const cell = h('td', { class: 'details' });
  const entries = Object.entries(details ?? {});
  entries.forEach(([key, value], index) => {
    if (index > 0) cell.append(', ');
    if (key === 'by' && typeof value === 'string')
      cell.append('by ', h('a', { href: `#/users/${value}`, class: 'id', 'data-by': value }, value.slice(0, 8)));
    else cell.append(`${key} ${typeof value === 'object' ? JSON.stringify(value) : String(value)}`);
  });
  if (entries.length === 0) cell.append('—');
  return cell;
}
