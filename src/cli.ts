import 'reflect-metadata';
import pino from 'pino';
import { ConfigError, loadConfig } from './config';
import { migrate, openDatabase } from './db/database';
import { RevocationService } from './auth/revocation.service';
import { Housekeeping } from './housekeeping';
import { Role } from './users/role';
import { UserService } from './users/user.service';

const USAGE = `Usage: npm run cli -- <command>

Commands:
  migrate              apply pending migrations
  promote <email>      make the user an ADMIN
  demote <email>       make the user a USER
  purge                delete expired revocations, ended sessions and old security events now

Uses the same configuration as the server (DATABASE_URL, or the embedded database in DATA_DIR, which
works while the server is running).`;

/** Runs one command; returns the process exit code. Output goes to `out`. */
export async function runCli(
  argv: string[],
  env: NodeJS.ProcessEnv = process.env,
  out: Pick<Console, 'log' | 'error'> = console,
): Promise<number> {
  const [command, ...args] = argv;
  if (!command || command === 'help' || command === '--help') {
    out.log(USAGE);
    return command ? 0 : 2;
  }
  if (!['migrate', 'promote', 'demote', 'purge'].includes(command)) {
    out.error(`Unknown command "${command}".\n\n${USAGE}`);
    return 2;
  }
  const config = loadConfig({ ...env, MIGRATE_ON_START: 'false', DATABASE_POOL_MAX: '2' });
  const log = pino({ level: env.LOG_LEVEL ?? 'warn' });
  const database = await openDatabase(config, log, { attachToRunningServer: true });
  try {
    const em = database.orm.em.fork();
    switch (command) {
      case 'migrate': {
        const applied = await migrate(database.orm, log);
        out.log(applied.length ? `Applied ${applied.join(', ')}` : 'No pending migrations.');
        return 0;
      }
      case 'promote':
      case 'demote': {
        if (!args[0]) {
          out.error(`Usage: npm run cli -- ${command} <email>`);
          return 2;
        }
        const role = command === 'promote' ? Role.ADMIN : Role.USER;
        const user = await new UserService().setRole(em, args[0], role);
        if (!user) {
          out.error(`No user with email ${args[0]}.`);
          return 1;
        }
        out.log(`${user.email} is now ${user.role}.`);
        return 0;
      }
      default: {
        const housekeeping = new Housekeeping(config, new RevocationService(config.jwt.clockToleranceSeconds));
        const deleted = await housekeeping.purge(em);
        out.log(`Deleted ${deleted.revocations} revocations, ${deleted.sessions} sessions and ${deleted.events} security events.`);
        return 0;
      }
    }
  } finally {
    await database.close();
  }
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
