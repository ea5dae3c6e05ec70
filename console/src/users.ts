import { ApiError, errorText, USER_FIELDS, type Api, type User } from './api';
import { busy, byId, formatTime, h, say } from './dom';
import { eventRow, EVENT_FIELDS, type SecurityEvent } from './events-table';

// The users page: search and page through users, open one: profile, sessions, security events, and what
// an admin does to an account. Every action goes through the public GraphQL API.

const PAGE_SIZE = 15;

const USERS = `query ConsoleUsers($search: String, $first: Int, $after: String) {
  users(search: $search, first: $first, after: $after) { edges { node { ${USER_FIELDS} } } pageInfo { hasNextPage endCursor } }
}`;
const USER = `query ConsoleUser($id: ID!) { user(id: $id) { ${USER_FIELDS} } }`;
const SESSIONS = `query ConsoleUserSessions($userId: ID!) {
  userSessions(userId: $userId) { id current createdAt lastUsedAt expiresAt ip userAgent }
}`;
const USER_EVENTS = `query ConsoleUserEvents($userId: ID!) {
  securityEvents(userId: $userId, first: 10) { edges { node { ${EVENT_FIELDS} } } }
}`;
const DISABLE = `mutation ConsoleDisableUser($id: ID!) { disableUser(id: $id) { ${USER_FIELDS} } }`;
const ENABLE = `mutation ConsoleEnableUser($id: ID!) { enableUser(id: $id) { ${USER_FIELDS} } }`;
const SET_ROLE = `mutation ConsoleSetUserRole($id: ID!, $role: Role!) { setUserRole(id: $id, role: $role) { ${USER_FIELDS} } }`;
const RESET_MFA = `mutation ConsoleResetUserMfa($id: ID!) { resetUserMfa(id: $id) { ${USER_FIELDS} } }`;
const SEND_VERIFICATION = `mutation ConsoleSendVerificationMail($userId: ID!) { sendVerificationMail(userId: $userId) }`;
const SEND_RESET = `mutation ConsoleSendPasswordResetMail($userId: ID!) { sendPasswordResetMail(userId: $userId) }`;
const REVOKE_ONE = `mutation ConsoleRevokeUserSession($userId: ID!, $sessionId: ID!) { revokeUserSession(userId: $userId, sessionId: $sessionId) }`;
const REVOKE_ALL = `mutation ConsoleRevokeUserSessions($userId: ID!) { revokeUserSessions(userId: $userId) }`;

interface Session {
  id: string;
  current: boolean;
  createdAt: string;
  lastUsedAt: string;
  expiresAt: string;
  ip: string | null;
  userAgent: string | null;
}

interface Page<T> {
  edges: { node: T }[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

/** "Chrome 126 on Linux" from a user agent; the raw string when it is nothing known. */
export function describeAgent(agent: string | null): string {
  if (!agent) return 'Unknown device';
  const browser = /(Firefox|Edg|OPR|Chrome|Safari)\/(\d+)/.exec(agent.replace(/Version\/(\d+).*Safari/, 'Safari/$1'));
  const os = /(Windows|Android|iPhone|iPad|Mac OS X|Linux)/.exec(agent)?.[1]?.replace('Mac OS X', 'macOS');
  if (!browser) return agent.slice(0, 60);
  const name = browser[1] === 'Edg' ? 'Edge' : browser[1] === 'OPR' ? 'Opera' : browser[1];
  return `${name} ${browser[2]}${os ? ` on ${os}` : ''}`;
}

/** A clear sentence for the errors an admin meets here, with Gatehouse's code and message after it. */
function actionError(error: unknown): string {
  if (error instanceof ApiError && error.code === 'LAST_ADMIN') {
    return `This is the last enabled admin: make another user ADMIN first. (${error.text})`;
  }
  return errorText(error);
}

export class UsersPage {
  private search = '';
  /** The `after` cursor of each page shown so far; the last one is the current page's. */
  private cursors: (string | undefined)[] = [undefined];
  private nextCursor: string | undefined;
  private user: User | undefined;

  constructor(private readonly api: Api) {
    byId<HTMLFormElement>('user-search').addEventListener('submit', (event) => {
      event.preventDefault();
      this.search = String(new FormData(event.target as HTMLFormElement).get('search') ?? '').trim();
      this.cursors = [undefined];
      void this.loadList();
    });
    byId<HTMLButtonElement>('users-next').addEventListener('click', () => {
      this.cursors.push(this.nextCursor);
      void this.loadList();
    });
    byId<HTMLButtonElement>('users-previous').addEventListener('click', () => {
      if (this.cursors.length > 1) this.cursors.pop();
      void this.loadList();
    });
    this.action('user-toggle-disabled', async () => {
      const user = this.current();
      const next = user.disabledAt
        ? (await this.api.request<{ enableUser: User }>(ENABLE, { id: user.id })).enableUser
        : (await this.api.request<{ disableUser: User }>(DISABLE, { id: user.id })).disableUser;
      this.showUser(next);
      void this.loadSessions(next.id);
      return next.disabledAt ? `Disabled ${next.email}: every session of theirs has ended.` : `Enabled ${next.email}.`;
    });
    this.action('user-change-role', async () => {
      const role = byId<HTMLSelectElement>('user-role').value;
      const user = (await this.api.request<{ setUserRole: User }>(SET_ROLE, { id: this.current().id, role })).setUserRole;
      this.showUser(user);
      return `${user.email} is now ${user.role}.`;
    });
    this.action('user-reset-mfa', async () => {
      const user = (await this.api.request<{ resetUserMfa: User }>(RESET_MFA, { id: this.current().id })).resetUserMfa;
      this.showUser(user);
      return `The second factor of ${user.email} is reset: they sign in with their password alone until they enroll again.`;
    });
    this.action('user-send-verification', async () => {
      await this.api.request(SEND_VERIFICATION, { userId: this.current().id });
      return `A verification link is on its way to ${this.current().email}.`;
    });
    this.action('user-send-reset', async () => {
      await this.api.request(SEND_RESET, { userId: this.current().id });
      return `A password reset link is on its way to ${this.current().email}.`;
    });
    this.action('user-revoke-all', async () => {
      const { revokeUserSessions: count } = await this.api.request<{ revokeUserSessions: number }>(REVOKE_ALL, { userId: this.current().id });
      await this.loadSessions(this.current().id);
      return `Revoked ${count} session${count === 1 ? '' : 's'} of ${this.current().email}.`;
    });
  }

  /** A button of the detail pane: runs, then says what happened or why not (never a blank). */
  private action(id: string, run: () => Promise<string>): void {
    const button = byId<HTMLButtonElement>(id);
    button.addEventListener('click', () =>
      busy(button, async () => {
        const status = byId('user-status');
        // The last action's message goes, so what shows next is this one's.
        say(status, '');
        try {
          say(status, await run(), 'ok');
        } catch (error) {
          say(status, actionError(error), 'error');
        }
      }),
    );
  }

  private current(): User {
    if (!this.user) throw new Error('No user is open.');
    return this.user;
  }

  async loadList(): Promise<void> {
    const status = byId('users-status');
    await busy(undefined, async () => {
      try {
        const after = this.cursors[this.cursors.length - 1];
        const { users } = await this.api.request<{ users: Page<User> }>(USERS, {
          search: this.search || null,
          first: PAGE_SIZE,
          after: after ?? null,
        });
        this.renderList(users);
        say(status, users.edges.length === 0 ? (this.search ? `No user's email contains "${this.search}".` : 'No users yet.') : '');
      } catch (error) {
        say(status, errorText(error), 'error');
      }
    });
  }

  private renderList(users: Page<User>): void {
    const body = byId('users-table').querySelector('tbody')!;
    body.replaceChildren(
      ...users.edges.map(({ node }) =>
        h(
          'tr',
          { 'data-user-id': node.id, 'aria-current': node.id === this.user?.id ? 'true' : undefined },
          h('td', {}, h('a', { href: `#/users/${node.id}` }, node.email)),
          h('td', {}, node.role),
          h('td', {}, userState(node)),
        ),
      ),
    );
    this.nextCursor = users.pageInfo.endCursor ?? undefined;
    byId<HTMLButtonElement>('users-next').disabled = !users.pageInfo.hasNextPage;
    byId<HTMLButtonElement>('users-previous').disabled = this.cursors.length <= 1;
    byId('users-page-info').textContent = `Page ${this.cursors.length}`;
  }

  /** Opens one user: profile first, then their sessions and events, each with its own error if any. */
  async openUser(id: string): Promise<void> {
    const detail = byId('user-detail');
    say(byId('user-status'), '');
    await busy(undefined, async () => {
      try {
        const { user } = await this.api.request<{ user: User | null }>(USER, { id });
        if (!user) {
          this.user = undefined;
          detail.hidden = false;
          byId('user-email').textContent = 'No such user';
          byId('user-profile').replaceChildren();
          say(byId('user-status'), `There is no user with the id ${id}.`, 'error');
          return;
        }
        this.showUser(user);
        await Promise.all([this.loadSessions(user.id), this.loadEvents(user.id)]);
      } catch (error) {
        detail.hidden = false;
        say(byId('user-status'), errorText(error), 'error');
      }
    });
  }

  private showUser(user: User): void {
    this.user = user;
    const detail = byId('user-detail');
    detail.hidden = false;
    detail.dataset.userId = user.id;
    byId('user-email').textContent = user.email;
    const row = (term: string, value: string) => [h('dt', {}, term), h('dd', {}, value)];
    byId('user-profile').replaceChildren(
      ...row('ID', user.id),
      ...row('Role', user.role),
      ...row('Status', userState(user)),
      ...row('Email verified', user.emailVerifiedAt ? formatTime(user.emailVerifiedAt) : 'not verified'),
      ...row('Second factor', user.mfaEnabled ? 'enabled' : 'none'),
      ...row('Created', formatTime(user.createdAt)),
      ...row('Disabled', user.disabledAt ? formatTime(user.disabledAt) : '—'),
    );
    byId('user-toggle-disabled').textContent = user.disabledAt ? 'Enable account' : 'Disable account';
    byId<HTMLSelectElement>('user-role').value = user.role;
    byId<HTMLButtonElement>('user-reset-mfa').hidden = !user.mfaEnabled;
    byId<HTMLButtonElement>('user-send-verification').hidden = Boolean(user.emailVerifiedAt);
    for (const tr of byId('users-table').querySelectorAll<HTMLTableRowElement>('tbody tr')) {
      if (tr.dataset.userId === user.id) {
        tr.setAttribute('aria-current', 'true');
        tr.cells[1].textContent = user.role;
        tr.cells[2].textContent = userState(user);
      } else tr.removeAttribute('aria-current');
    }
  }

  async loadSessions(userId: string): Promise<void> {
    const body = byId('user-sessions').querySelector('tbody')!;
    try {
      const { userSessions } = await this.api.request<{ userSessions: Session[] }>(SESSIONS, { userId });
      body.replaceChildren(...userSessions.map((session) => this.sessionRow(userId, session)));
      if (userSessions.length === 0) body.append(h('tr', {}, h('td', { colspan: '4', class: 'empty' }, 'No active sessions.')));
      byId<HTMLButtonElement>('user-revoke-all').disabled = userSessions.length === 0;
    } catch (error) {
      body.replaceChildren(h('tr', {}, h('td', { colspan: '4', class: 'error', role: 'alert' }, errorText(error))));
    }
  }

  private sessionRow(userId: string, session: Session): HTMLTableRowElement {
    const revoke = h('button', { type: 'button' }, 'Revoke');
    revoke.setAttribute('aria-label', `Revoke the session of ${describeAgent(session.userAgent)} from ${session.ip ?? 'an unknown address'}`);
    revoke.addEventListener('click', () =>
      busy(revoke, async () => {
        say(byId('user-status'), '');
        try {
          await this.api.request(REVOKE_ONE, { userId, sessionId: session.id });
          say(byId('user-status'), `Revoked the session of ${describeAgent(session.userAgent)}.`, 'ok');
          await this.loadSessions(userId);
        } catch (error) {
          say(byId('user-status'), actionError(error), 'error');
        }
      }),
    );
    return h(
      'tr',
      { 'data-session-id': session.id },
      h(
        'td',
        { title: session.userAgent ?? '' },
        describeAgent(session.userAgent),
        session.current ? h('span', { class: 'badge' }, 'this console') : null,
      ),
      h('td', {}, session.ip ?? '—'),
      h('td', {}, formatTime(session.lastUsedAt)),
      h('td', {}, revoke),
    );
  }

  async loadEvents(userId: string): Promise<void> {
    const body = byId('user-events').querySelector('tbody')!;
    try {
      const { securityEvents } = await this.api.request<{ securityEvents: Page<SecurityEvent> }>(USER_EVENTS, { userId });
      body.replaceChildren(...securityEvents.edges.map(({ node }) => eventRow(node, ['when', 'type', 'details', 'ip'])));
      if (securityEvents.edges.length === 0) body.append(h('tr', {}, h('td', { colspan: '4', class: 'empty' }, 'No events.')));
    } catch (error) {
      body.replaceChildren(h('tr', {}, h('td', { colspan: '4', class: 'error', role: 'alert' }, errorText(error))));
    }
  }

  /** The open user's id, for the live events. */
  get openUserId(): string | undefined {
    return this.user?.id;
  }
}

function userState(user: User): string {
  if (user.disabledAt) return 'disabled';
  return [user.emailVerifiedAt ? 'verified' : 'unverified', user.mfaEnabled ? '2FA' : ''].filter(Boolean).join(', ');
}
