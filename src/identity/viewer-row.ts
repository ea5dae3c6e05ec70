import type { Role } from '../users/role';
import type { ViewerUser } from './viewer';

/**
 * The one description of the user row a request's viewer is built from: the columns read (never the
 * hash), their shape as the driver returns them (timestamps arrive as text: MikroORM configures the driver
 * not to parse them), and the snapshot made of them. The auth cache keeps this row, ViewerService reads
 * it, and a new column of the viewer (the entity's property and its migration aside) is an edit here.
 */
export interface UserRow {
  id: string;
  email: string;
  email_verified_at: string | null;
  role: string;
  created_at: string;
  updated_at: string;
  disabled_at: string | null;
}

/** The row's columns, in the order the viewer query selects them. The checks below keep it complete. */
export const USER_COLUMNS = [
  'id',
  'email',
  'email_verified_at',
  'role',
  'created_at',
  'updated_at',
  'disabled_at',
] as const satisfies readonly (keyof UserRow)[];
type Unlisted = Exclude<keyof UserRow, (typeof USER_COLUMNS)[number]>;
const everyColumnListed: [Unlisted] extends [never] ? true : Unlisted = true;
void everyColumnListed;

/** `select` list of the columns, for a query that names the users table `alias`. */
export const userColumnsSql = (alias: string): string => USER_COLUMNS.map((column) => `${alias}.${column}`).join(', ');

/** The row's own columns, without whatever else the query returned alongside them (kept by the cache). */
export function userRowOf(row: UserRow): UserRow {
  const { id, email, email_verified_at, role, created_at, updated_at, disabled_at } = row;
  return { id, email, email_verified_at, role, created_at, updated_at, disabled_at };
}

/**
 * The viewer's user is a plain snapshot of the row, not an entity of any EntityManager: building it costs
 * a fraction of mapping one, and the hot path only reads it. The password hash is never read here, so
 * it is not kept in the cache either.
 */
export function toViewerUser(row: UserRow): ViewerUser {
  return {
    id: row.id,
    email: row.email,
    emailVerifiedAt: row.email_verified_at === null ? null : new Date(row.email_verified_at),
    role: row.role as Role,
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
    disabledAt: row.disabled_at === null ? null : new Date(row.disabled_at),
  };
}
