import pino from 'pino';
import { ensureDevelopmentSecret, type Config } from '../config';
import { createDatabaseIfMissing } from '../db/create-database';
import { serializeError } from '../db/driver-errors';
import { migrate, openDatabase } from '../database';
import { chooseStore } from '../limits/rate-limit.service';
import { Metrics } from '../observability/metrics';
import { createServices } from '../services';
import { Role } from '../users/role';
import type { CliIo } from './io';
import { describeUser, CliFailure, createUser, setDisabled, setRole } from './commands';

// The CLI's own database connection: a small pool, and it never migrates unless asked to (`migrate`).
const CLI_DATABASE = { databasePoolMax: 2, migrateOnStart: false };

/** Runs a command that uses the database; returns the process exit code: 0 done, 1 refused or failed. */
export async function runDatabaseCommand(command: string, args: string[], loaded: Config, env: NodeJS.ProcessEnv, io: CliIo): Promise<number> {
  // The services sign and rotate tokens: outside production without JWT_SECRET they use the server's DATA_DIR secret.
  const config = ensureDevelopmentSecret(loaded);
  const email = args.find((arg) => !arg.startsWith('--'));
  // Errors through the same serializer as the server's log: never SQL or its values.
  const log = pino({ level: env.LOG_LEVEL ?? 'warn', serializers: { err: serializeError } });
  // Asked for by name: the server and every other command refuse a database that does not exist.
  if (command === 'migrate' && args.includes('--create-database') && config.databaseUrl) {
    const created = await createDatabaseIfMissing(config.databaseUrl);
    if (created) io.log(`Created database "${created}".`);
  }
  const database = await openDatabase({ ...config, ...CLI_DATABASE }, log, { attachToRunningServer: true });
  try {
    const em = database.orm.em.fork();
    const services = createServices(config, database.orm, log, chooseStore(undefined, database.orm, true), undefined, new Metrics());
    switch (command) {
      case 'migrate': {
        const applied = await migrate(database.orm, log);
        io.log(applied.length ? `Applied ${applied.join(', ')}` : 'No pending migrations.');
        return 0;
      }
      case 'create-user': {
        const password = (await (io.readInput ?? readStdin)()).replace(/\r?\n$/, '');
        const role = args.includes('--admin') ? Role.ADMIN : Role.USER;
        io.log(`Created ${describeUser(await createUser(em, services, email!, password, role))}.`);
        return 0;
      }
      case 'promote':
      case 'demote':
        io.log(`${describeUser(await setRole(em, services, email!, command === 'promote' ? Role.ADMIN : Role.USER))}.`);
        return 0;
      case 'disable':
      case 'enable':
        io.log(`${describeUser(await setDisabled(em, services, email!, command === 'disable'))}.`);
        return 0;
      default: {
        const deleted = await services.housekeeping.purge(em);
        io.log(
          `Deleted ${deleted.revocations} revocations, ${deleted.sessions} sessions, ${deleted.events} security events and ${deleted.mail} outbox mails.`,
        );
        return 0;
      }
    }
  } catch (error) {
    if (!(error instanceof CliFailure)) throw error;
    io.error(error.message);
    return 1;
  } finally {
    await database.close();
  }
}

async function readStdin(): Promise<string> {
  if (process.stdin.isTTY)
    throw new CliFailure('Pipe the password on standard input, e.g. printf \'%s\' "$PASSWORD" | npx gatehouse create-user ...');
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
