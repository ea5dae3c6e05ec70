import 'reflect-metadata';
import pino from 'pino';
import { describeUser, CliFailure, createUser, setDisabled, setRole } from './cli/commands';
import { maskedConfig } from './cli/show-config';
import { ConfigError, loadConfig } from './config';
import { migrate, openDatabase } from './db/database';
import { chooseStore } from './limits/rate-limit.service';
import { Metrics } from './observability/metrics';
import { createServices } from './services';
import { Role } from './users/role';

const USAGE = `Usage: npm run cli -- <command>

Commands:
  migrate                       apply pending migrations
  create-user <email> [--admin] create an account; the password is read from standard input
  promote <email>               make the user an ADMIN
  demote <email>                make the user a USER (refused for the last enabled ADMIN)
  disable <email>               disable the account and end all of its sessions at once
  enable <email>                let the account log in again
  purge                         delete expired revocations, ended sessions and old security events now
  show-config                   print the configuration in effect, secrets masked

Uses the same configuration as the server (DATABASE_URL, or the embedded database in DATA_DIR, which
works while the server is running). Example:
  printf '%s' "$ADMIN_PASSWORD" | npm run -s cli -- create-user admin@example.com --admin`;

const WITH_EMAIL = new Set(['create-user', 'promote', 'demote', 'disable', 'enable']);
const COMMANDS = new Set([...WITH_EMAIL, 'migrate', 'purge', 'show-config']);

export interface CliIo {
  log(line: string): void;
  error(line: string): void;
  /** Standard input, whole (the password for create-user). */
  readInput?(): Promise<string>;
}

/** Runs one command; returns the process exit code: 0 done, 1 refused or failed, 2 usage. */
export async function runCli(argv: string[], env: NodeJS.ProcessEnv = process.env, io: CliIo = consoleIo): Promise<number> {
  const [command, ...args] = argv;
  if (!command || command === 'help' || command === '--help') {
    io.log(USAGE);
    return command ? 0 : 2;
  }
  if (!COMMANDS.has(command)) {
    io.error(`Unknown command "${command}".\n\n${USAGE}`);
    return 2;
  }
  const email = args.find((arg) => !arg.startsWith('--'));
  if (WITH_EMAIL.has(command) && !email) {
    io.error(`Usage: npm run cli -- ${command} <email>`);
    return 2;
  }
  const config = loadConfig({ ...env, MIGRATE_ON_START: 'false', DATABASE_POOL_MAX: '2' });
  if (command === 'show-config') {
    io.log(JSON.stringify(maskedConfig(config), null, 2));
    return 0;
  }
  const log = pino({ level: env.LOG_LEVEL ?? 'warn' });
  const database = await openDatabase(config, log, { attachToRunningServer: true });
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
        io.log(`Deleted ${deleted.revocations} revocations, ${deleted.sessions} sessions and ${deleted.events} security events.`);
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

const consoleIo: CliIo = { log: (line) => console.log(line), error: (line) => console.error(line) };

async function readStdin(): Promise<string> {
  if (process.stdin.isTTY) throw new CliFailure('Pipe the password on standard input, e.g. printf \'%s\' "$PASSWORD" | npm run -s cli -- create-user ...');
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

if (require.main === module) {
  runCli(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(error instanceof ConfigError ? error.message : error);
      process.exit(1);
    },
  );
}
