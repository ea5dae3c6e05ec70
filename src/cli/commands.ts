import type { EntityManager } from '@mikro-orm/postgresql';
import { AppError } from '../errors/errors';
import type { Services } from '../services';
import type { Role } from '../users/role';
import type { User } from '../users/user.entity';

/** What the CLI records as the actor and client of the changes it makes. */
const CLI_ACTOR = { id: 'cli' };
const CLI_CLIENT = { ip: null, userAgent: 'gatehouse-cli' };

export class CliFailure extends Error {}

/** Creates an account through the same checks as `register` (email, password policy, uniqueness). */
export async function createUser(em: EntityManager, services: Services, email: string, password: string, role: Role): Promise<User> {
  return services.auth.createAccount(em, { email, password }, role).catch(refusal);
}

export async function setRole(em: EntityManager, services: Services, email: string, role: Role): Promise<User> {
  return services.admin.setRole(em, CLI_ACTOR, (await find(em, services, email)).id, role, CLI_CLIENT).catch(refusal);
}

/** Disabling ends every session of the account at once, as the disableUser mutation does. */
export async function setDisabled(em: EntityManager, services: Services, email: string, disabled: boolean): Promise<User> {
  const { id } = await find(em, services, email);
  const change = disabled ? services.admin.disable(em, CLI_ACTOR, id, CLI_CLIENT) : services.admin.enable(em, CLI_ACTOR, id, CLI_CLIENT);
  return change.catch(refusal);
}

async function find(em: EntityManager, services: Services, email: string): Promise<User> {
  const user = await services.users.findByEmail(em, email);
  if (!user) throw new CliFailure(`No user with email ${email}.`);
  return user;
}

/** An AppError (LAST_ADMIN, a weak password, ...) is an answer for the operator, not a crash. */
function refusal(error: unknown): never {
  if (!(error instanceof AppError)) throw error;
  const field = error.extensions.field;
  throw new CliFailure(typeof field === 'string' && /password/i.test(field) ? `Password refused: ${error.message}` : error.message);
}

export const describeUser = (user: User) => `${user.email} (${user.id}): ${user.role}${user.disabledAt ? ', disabled' : ''}`;
