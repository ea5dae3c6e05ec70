import 'reflect-metadata';
import type { CliIo } from './cli/io';
import { maskedConfig } from './cli/show-config';

export type { CliIo };
import { loadConfig } from './config';
import { failureText } from './failure-text';

const USAGE = `Usage: npx gatehouse <command>

Commands:
  migrate [--create-database]   apply pending migrations; --create-database first creates the
                                database DATABASE_URL names if it does not exist
  create-user <email> [--admin] create an account; the password is read from standard input
  promote <email>               make the user an ADMIN
  demote <email>                make the user a USER (refused for the last enabled ADMIN)
  disable <email>               disable the account and end all of its sessions at once
  enable <email>                let the account log in again
  purge                         delete expired revocations, ended sessions, old security events and
                                old sent or failed mail now
  show-config                   print the server's configuration, secrets masked

Uses the same configuration as the server (DATABASE_URL, or the embedded database in DATA_DIR, which
works while the server is running). Example:
  printf '%s' "$ADMIN_PASSWORD" | npx gatehouse create-user admin@example.com --admin`;

const WITH_EMAIL = new Set(['create-user', 'promote', 'demote', 'disable', 'enable']);
const COMMANDS = new Set([...WITH_EMAIL, 'migrate', 'purge', 'show-config']);

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
    io.error(`Usage: npx gatehouse ${command} <email>`);
    return 2;
  }
  // The server's configuration, read as the server reads it; only the CLI's own connection differs.
  const config = loadConfig(env);
  if (command === 'show-config') {
    io.log(JSON.stringify(maskedConfig(config), null, 2));
    return 0;
  }
  // Loaded only for the commands that use the database: MikroORM, the entities and the services are most
  // of the CLI's start-up time, which help and show-config do not need.
  const { runDatabaseCommand } = require('./cli/database-command') as typeof import('./cli/database-command');
  return runDatabaseCommand(command, args, config, env, io);
}

const consoleIo: CliIo = { log: (line) => console.log(line), error: (line) => console.error(line) };

/** The `gatehouse` bin (bin/gatehouse.js): runs the command line's command and exits with its code. */
export function runCliProcess(): void {
  runCli(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(failureText(error));
      process.exit(1);
    },
  );
}

if (require.main === module) runCliProcess();
