import type { EntityManager } from '@mikro-orm/postgresql';
import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { AppError } from '../errors/errors';
import type { Services } from '../services';
import { parseEmail } from '../users/email';
import { Role } from '../users/role';
import { User } from '../users/user.entity';

/** What the CLI records as the actor and client of the changes it makes. */
const CLI_ACTOR = { id: 'cli' };
const CLI_CLIENT = { ip: null, userAgent: 'gatehouse-cli' };

export class CliFailure extends Error {}

/** Creates an account with a password that passes the same policy as `register`. */
export async function createUser(em: EntityManager, services: Services, email: string, password: string, role: Role): Promise<User> {
  const parsed = parseEmail(email);
  if (!parsed.ok) throw new CliFailure(parsed.message);
  try {
    await services.passwordPolicy.assertAcceptable(password, parsed.email);
  } catch (error) {
    throw error instanceof AppError ? new CliFailure(`Password refused: ${error.message}`) : error;
  }
  const user = em.create(User, { email: parsed.email, passwordHash: await services.passwords.hash(password), role });
  try {
    await em.flush();
  } catch (error) {
    if (error instanceof UniqueConstraintViolationException) throw new CliFailure(`An account with email ${parsed.email} already exists.`);
    throw error;
  }
  return user;
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

/** An AppError (LAST_ADMIN, ...) is an answer for the operator, not a crash. */
function refusal(error: unknown): never {
  throw error instanceof AppError ? new CliFailure(error.message) : error;
}

export const describeUser = (user: User) => `${user.email} (${user.id}): ${user.role}${user.disabledAt ? ', disabled' : ''}`;
export { Role };
