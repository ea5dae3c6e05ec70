import { LockMode } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { afterCursor, decodeCursor, NEWEST_FIRST, pageSize, toPage, type Page } from '../common/pagination';
import type { ClientInfo } from '../common/request-meta';
import { isUuid } from '../common/uuid';
import { badUserInput, lastAdmin, notFound } from '../errors/errors';
import { SecurityEventType } from '../events/security-event-type';
import type { SecurityEventService } from '../events/security-event.service';
import { RevokeReason, type SessionService } from '../sessions/session.service';
import { EMAIL_MAX_LENGTH } from '../users/email';
import { Role } from '../users/role';
import { User } from '../users/user.entity';

/** Who makes a change: an ADMIN's id, or "cli" for the command line. */
export interface Actor {
  id: string;
}

export interface UserFilter {
  first?: number | null;
  after?: string | null;
  search?: string | null;
}

// Serialises every change that could remove an admin, across instances, for the length of a transaction.
const ADMINS_LOCK_SQL = "select pg_advisory_xact_lock(hashtext('gatehouse:admins'))";

/** What the admins lock protects: whether a user counts as an enabled ADMIN. */
type AdminFields = Pick<User, 'role' | 'disabledAt'>;
const adminFields = ({ role, disabledAt }: User): AdminFields => ({ role, disabledAt });
const isActiveAdmin = ({ role, disabledAt }: AdminFields) => role === Role.ADMIN && !disabledAt;

const escapeLike = (text: string) => text.replace(/[\\%_]/g, (c) => `\\${c}`);

// No stored email holds a control character, and PostgreSQL refuses a NUL in any text: such a search is
// the client's mistake, not a query to send.
const CONTROL = /\p{Cc}/u;

function parseSearch(raw: string | null | undefined): string | undefined {
  const search = raw?.trim().toLowerCase();
  if (!search) return undefined;
  if (CONTROL.test(search)) throw badUserInput('search', 'search must not contain control characters.');
  if (search.length > EMAIL_MAX_LENGTH) throw badUserInput('search', `search must be at most ${EMAIL_MAX_LENGTH} characters.`);
  return search;
}

/** What an ADMIN can do to accounts. Every change is effective on the affected user's next request. */
export class AdminService {
  constructor(
    private readonly sessions: SessionService,
    private readonly events: SecurityEventService,
  ) {}

  async listUsers(em: EntityManager, filter: UserFilter): Promise<Page<User>> {
    const size = pageSize(filter.first);
    const search = parseSearch(filter.search);
    const rows = await em.find(
      User,
      { ...afterCursor(decodeCursor(filter.after)), ...(search ? { email: { $like: `%${escapeLike(search)}%` } } : {}) },
      { orderBy: NEWEST_FIRST, limit: size + 1 },
    );
    return toPage(rows, size);
  }

  async setRole(em: EntityManager, actor: Actor, id: string, role: Role, client: ClientInfo): Promise<User> {
    const { user, changed, before } = await this.changeAdmins(em, id, (target) => {
      target.role = role;
    });
    if (changed) {
      await this.events.record({
        type: SecurityEventType.ROLE_CHANGED,
        userId: user.id,
        client,
        details: { from: before.role, to: role, by: actor.id },
      });
    }
    return user;
  }

  /** Disables the account and ends all of its sessions at once (ASVS 7.4.2). */
  async disable(em: EntityManager, actor: Actor, id: string, client: ClientInfo): Promise<User> {
    const { user, changed } = await this.changeAdmins(em, id, async (target, tx) => {
      target.disabledAt ??= new Date();
      await this.sessions.revokeAll(tx, target.id, RevokeReason.USER_DISABLED);
    });
    if (changed) await this.events.record({ type: SecurityEventType.USER_DISABLED, userId: user.id, client, details: { by: actor.id } });
    return user;
  }

  async enable(em: EntityManager, actor: Actor, id: string, client: ClientInfo): Promise<User> {
    const user = await this.find(em, id);
    if (user.disabledAt) {
      user.disabledAt = null;
      await em.flush();
      await this.events.record({ type: SecurityEventType.USER_ENABLED, userId: user.id, client, details: { by: actor.id } });
    }
    return user;
  }

  /**
   * Applies `change` to the user under the admins lock, then refuses the result if no enabled ADMIN is left.
   * Whether anything changed, and what was there `before`, come from a snapshot of the fields the lock
   * protects taken before `change` runs, so `change` returns nothing.
   */
  private async changeAdmins(
    em: EntityManager,
    id: string,
    change: (target: User, tx: EntityManager) => void | Promise<void>,
  ): Promise<{ user: User; changed: boolean; before: AdminFields }> {
    return em.transactional(async (tx) => {
      await tx.execute(ADMINS_LOCK_SQL);
      const user = await this.find(tx, id, true);
      const before = adminFields(user);
      await change(user, tx);
      const after = adminFields(user);
      if (isActiveAdmin(before) && !isActiveAdmin(after)) {
        const others = await tx.count(User, { role: Role.ADMIN, disabledAt: null, id: { $ne: user.id } });
        if (others === 0) throw lastAdmin();
      }
      return { user, changed: before.role !== after.role || before.disabledAt !== after.disabledAt, before };
    });
  }

  /** `lock`: read the row afresh and hold it for the transaction, so a racing login waits for the change. */
  private async find(em: EntityManager, id: string, lock = false): Promise<User> {
    const options = lock ? { lockMode: LockMode.PESSIMISTIC_WRITE, refresh: true } : {};
    const user = isUuid(id) ? await em.findOne(User, { id: id.toLowerCase() }, options) : null;
    if (!user) throw notFound();
    return user;
  }
}
