import type { EntityManager } from '@mikro-orm/postgresql';
import { isUuid } from '../common/uuid';
import { rawQuery, Sql } from '../db/raw-sql';
import { parseEmail } from './email';
import { User } from './user.entity';

export class UserService {
  /** Null for an unknown id, and for one that is not even a UUID. */
  async findById(em: EntityManager, id: string): Promise<User | null> {
    return isUuid(id) ? em.findOne(User, { id: id.toLowerCase() }) : null;
  }

  async findByEmail(em: EntityManager, email: string): Promise<User | null> {
    const parsed = parseEmail(email);
    return parsed.ok ? userByEmail(em, parsed.email) : null;
  }
}

const BY_EMAIL = new Sql('select * from users where email = $1::text');

/**
 * The user with this normalised address (parseEmail), in `em`'s identity map: one plain statement, for
 * login's hot path, where the ORM's query building and hydration cost more than the query.
 */
export async function userByEmail(em: EntityManager, email: string): Promise<User | null> {
  const { rows } = await rawQuery(em, BY_EMAIL, [email]);
  return rows[0] ? em.map(User, rows[0]) : null;
}
