// Small DOM helpers: elements are built with textContent only (no innerHTML: nothing from the server is
// ever parsed as HTML), and every message lands in a role="status"/"alert" element.

type Child = Node | string | null | undefined | false;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Record<string, string | boolean | undefined> = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === false) continue;
    element.setAttribute(name, value === true ? '' : value);
  }
  for (const child of children) if (child) element.append(child);
  return element;
}

export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (!element) throw new Error(`#${id} is missing from the page`);
  return element as T;
}

/** Shows a message in a status element: `error` ones in red, announced at once (role=alert). */
export function say(element: HTMLElement, text: string, state: 'ok' | 'error' | 'info' = 'info'): void {
  element.textContent = text;
  element.dataset.state = state;
  element.setAttribute('role', state === 'error' ? 'alert' : 'status');
  element.hidden = text === '';
}

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
export const formatTime = (iso: string | null | undefined): string => (iso ? dateTime.format(new Date(iso)) : '—');

/** Disables a button while its action runs, and marks the page busy (aria-busy), so tests can wait on it. */
let running = 0;
export async function busy<T>(button: HTMLButtonElement | undefined, action: () => Promise<T>): Promise<T> {
  if (button) button.disabled = true;
  running += 1;
  document.body.setAttribute('aria-busy', 'true');
  try {
    return await action();
  } finally {
    if (button) button.disabled = false;
    running -= 1;
    document.body.setAttribute('aria-busy', String(running > 0));
  }
}
