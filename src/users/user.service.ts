import type { EntityManager } from '@mikro-orm/postgresql';
import { isUuid } from '../common/uuid';
import { parseEmail } from './email';
import type { Role } from './role';
import { User } from './user.entity';

export class UserService {
  /** Null for an unknown id, and for one that is not even a UUID. */
  async findById(em: EntityManager, id: string): Promise<User | null> {
    return isUuid(id) ? em.findOne(User, { id: id.toLowerCase() }) : null;
  }

  async findByEmail(em: EntityManager, email: string): Promise<User | null> {
    const parsed = parseEmail(email);
    return parsed.ok ? em.findOne(User, { email: parsed.email }) : null;
  }

  /** Used by the CLI. Returns the user, or null when no account has this email. */
  async setRole(em: EntityManager, email: string, role: Role): Promise<User | null> {
    const user = await this.findByEmail(em, email);
    if (!user) return null;
    user.role = role;
    await em.flush();
    return user;
  }
}
