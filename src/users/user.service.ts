import type { EntityManager } from '@mikro-orm/postgresql';
import { isUuid } from '../common/uuid';
import { parseEmail } from './email';
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
}
