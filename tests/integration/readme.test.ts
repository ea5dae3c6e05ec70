import { execFile } from 'node:child_process';
import * as crypto from 'node:crypto';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { buildSchema, isObjectType, parse, print, validate, type FieldDefinitionNode } from 'graphql';
import { runCli } from '../../src/cli';
import { loadConfig } from '../../src/config';
import { signAlert } from '../../src/events/alert.service';
import { logIn } from '../helpers/factories';
import { openMailbox, startServerWithMailbox } from '../helpers/mailbox';
import { PASSWORD, uniqueEmail, type TestServer } from '../helpers/test-server';

// Every fenced code block of README.md is checked, so none can rot. The line before each block names it:
// `<!-- snippet: docs/snippets/<file> -->` for a snippet kept as a file (README shows the file verbatim;
// `npm run typecheck` compiles the TypeScript ones; here they run against a real server), or
// `<!-- snippet: <name> -->` for a block checked in place by INLINE below (the CLI lines run through the
// CLI; a block that cannot run says why and gets its names checked).

const ROOT = join(__dirname, '../..');
const SNIPPETS = 'docs/snippets';
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');
const run = promisify(execFile);

interface Block {
  name: string | undefined;
  lang: string;
  code: string;
  line: number;
}

function readmeBlocks(): Block[] {
  const lines = README.split('\n');
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\w*)$/.exec(lines[i]);
    if (!open) continue;
    const end = lines.indexOf('```', i + 1);
    const name = /^<!-- snippet: (\S+) -->$/.exec(lines[i - 1] ?? '')?.[1];
    blocks.push({ name, lang: open[1], code: `${lines.slice(i + 1, end).join('\n')}\n`, line: i + 1 });
    i = end;
  }
  return blocks;
}

const blocks = readmeBlocks();
const isFile = (name: string) => name.startsWith(`${SNIPPETS}/`);
// The files README shows; docs/snippets/client/ only re-exports ../../client for their './client' imports.
const snippetFiles = readdirSync(join(ROOT, SNIPPETS))
  .filter((file) => file !== 'client')
  .map((file) => `${SNIPPETS}/${file}`);

let server: TestServer;
beforeAll(async () => {
  server = await startServerWithMailbox();
});
afterAll(() => server?.close());

// ---- snippets kept as files: how each runs, and what it must print --------------------------------

/** Runs a snippet file as a reader would (bash, or ts-node as the repo configures it) against the test server. */
async function runFile(file: string, extraEnv: Record<string, string> = {}): Promise<string> {
  // The snippets read GATEHOUSE_URL; NODE_OPTIONS is jest's own (--experimental-vm-modules), not a reader's.
  const env = { ...process.env, GATEHOUSE_URL: server.graphqlUrl, NODE_OPTIONS: '', ...extraEnv };
  const [command, args] = file.endsWith('.sh') ? ['bash', [file]] : ['node', ['-r', 'ts-node/register/transpile-only', file]];
  const { stdout, stderr } = await run(command, args, { cwd: ROOT, env, timeout: 30_000 }).catch(
    (error: { stdout?: string; stderr?: string; message: string }) => {
      throw new Error(`${file} failed: ${error.message}\n${error.stdout ?? ''}${error.stderr ?? ''}`);
    },
  );
  expect({ file, stderr }).toEqual({ file, stderr: '' });
  return stdout;
}

const FILES: Record<string, () => Promise<void>> = {
  [`${SNIPPETS}/curl.sh`]: async () => {
    const stdout = await runFile(`${SNIPPETS}/curl.sh`);
    // One JSON answer per line (Apollo ends each with a newline): register, me, refresh, logout.
    const answers = stdout
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as { data?: Record<string, unknown>; errors?: unknown });
    expect({ stdout, count: answers.length }).toEqual({ stdout, count: 4 });
    expect(answers.map((answer) => answer.errors)).toEqual([undefined, undefined, undefined, undefined]);
    const [{ data: registered }, { data: me }, { data: refreshed }, { data: logout }] = answers;
    const tokens = { accessToken: expect.stringMatching(/^ey/), refreshToken: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/) };
    expect(registered?.register).toMatchObject({ ...tokens, user: { email: 'ada@example.com' } });
    expect(me?.me).toMatchObject({ email: 'ada@example.com', role: 'USER' });
    expect(refreshed?.refresh).toEqual(tokens);
    expect(logout).toEqual({ logout: true });
  },
  [`${SNIPPETS}/sdk.ts`]: async () => {
    expect(await runFile(`${SNIPPETS}/sdk.ts`)).toBe('signed in as ada@example.com\nadmins only\n');
  },
  [`${SNIPPETS}/session-client.ts`]: async () => {
    expect(await runFile(`${SNIPPETS}/session-client.ts`)).toBe('signed in as ada@example.com\nstored after logout: null\n');
  },
  // The reset flow, as a user goes through it: the request, then the page the mailed link opens (twice).
  [`${SNIPPETS}/password-reset.ts`]: async () => {
    await server.sdk().Register({ input: { email: 'grace@example.com', password: PASSWORD } });
    expect(await runFile(`${SNIPPETS}/password-reset.ts`)).toBe('if that address has an account, a link is on its way\n');
    const { link } = await openMailbox(server).nextMail('grace@example.com');
    expect(await runFile(`${SNIPPETS}/password-reset.ts`, { RESET_LINK: link! })).toBe(
      'password changed: every session has ended; sign in with the new password\n',
    );
    expect(await runFile(`${SNIPPETS}/password-reset.ts`, { RESET_LINK: link! })).toBe(
      'This link is invalid or was already used. Request a new one.\n',
    );
    await logIn(server, 'grace@example.com', 'a fresh and long passphrase');
  },
  [`${SNIPPETS}/apollo-client.ts`]: async () => {
    expect(await runFile(`${SNIPPETS}/apollo-client.ts`)).toBe('signed in as ada@example.com\n');
  },
  // The README's server signs with HS256, so its JWKS publishes no key and the snippet refuses even a real
  // token; tests/integration/mfa-step-up.test.ts runs it against an ES256 server with aal-1 and aal-2 tokens.
  [`${SNIPPETS}/require-aal2.ts`]: async () => {
    const { token } = await logIn(server, 'ada@example.com');
    expect(await runFile(`${SNIPPETS}/require-aal2.ts`, { ACCESS_TOKEN: token })).toMatch(/^refused: /);
  },
  // Logs in as a second device would, and logs out everywhere: the first one's socket hears of it.
  [`${SNIPPETS}/apollo-live.ts`]: async () => {
    expect(await runFile(`${SNIPPETS}/apollo-live.ts`)).toBe('signed out elsewhere: signed out here too\n');
  },
  // A fragment of a webhook receiver: it runs with the names it expects, on a delivery signed as the server signs.
  [`${SNIPPETS}/verify-webhook.js`]: async () => {
    const fragment = readFileSync(join(ROOT, SNIPPETS, 'verify-webhook.js'), 'utf8');
    const verify = new Function('crypto', 'req', 'rawBody', 'secret', `${fragment}\nreturn valid;`);
    const secret = randomBytes(32).toString('base64');
    const rawBody = JSON.stringify({ type: 'REFRESH_TOKEN_REUSE' });
    const req = { headers: { 'x-gatehouse-signature': signAlert(secret, rawBody, Math.floor(Date.now() / 1000)) } };
    expect(verify(crypto, req, rawBody, secret)).toBe(true);
    expect(verify(crypto, req, `${rawBody} `, secret)).toBe(false);
    const old = { headers: { 'x-gatehouse-signature': signAlert(secret, rawBody, Math.floor(Date.now() / 1000) - 600) } };
    expect(verify(crypto, old, rawBody, secret)).toBe(false);
  },
};

// ---- blocks checked in place ---------------------------------------------------------------------

// How README starts the CLI. Only this launcher is replaced (by runCli in-process, no build); the rest of
// each line runs as written, with `<email>` as a fresh account and `[--admin]` left out.
const CLI_LINE = /^(?:printf '%s' "\$\w+" \| )?(?:npm run (?:-s )?cli --|npx gatehouse) ([^#]+?)\s*(?:#.*)?$/;

async function runCliLines(code: string) {
  const placeholder = uniqueEmail('readme-cli');
  for (const email of new Set(code.match(/[\w.+-]+@[\w.-]+/g) ?? [])) {
    await server.sdk().Register({ input: { email, password: PASSWORD } });
  }
  for (const line of code.trim().split('\n')) {
    const match = CLI_LINE.exec(line);
    if (!match) throw new Error(`not a CLI line: ${line}`);
    const args = match[1]
      .replace(/\[[^\]]*\]/g, '')
      .replaceAll('<email>', placeholder)
      .split(/\s+/)
      .filter(Boolean);
    const output: string[] = [];
    const io = { log: (text: string) => void output.push(text), error: (text: string) => void output.push(text), readInput: async () => PASSWORD };
    // A failing line shows what the CLI said.
    const status = await runCli(args, { ...server.env, LOG_LEVEL: 'silent' }, io);
    expect({ line, status, output: status === 0 ? [] : output }).toEqual({ line, status: 0, output: [] });
  }
}

// Every file that names a variable: src/config/, one file per area, and the list of rate-limited operations.
const CONFIG_SOURCE = [...readdirSync(join(ROOT, 'src/config')).map((file) => `src/config/${file}`), 'src/config/operations.ts']
  .map((file) => readFileSync(join(ROOT, file), 'utf8'))
  .join('\n');
const SCRIPTS = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;

type Check = ((code: string) => Promise<void>) & { notRun?: string };

/** For a block that cannot run here (the reason is in the test's name): every variable it sets is read by
 * src/config/, and every npm script it names exists. */
const notRunnable = (reason: string): Check =>
  Object.assign(
    async (code: string) => {
      for (const [, name] of code.matchAll(/(?:^|\s)([A-Z][A-Z0-9_]*)=/g)) {
        const known = CONFIG_SOURCE.includes(`'${name}'`) || CONFIG_SOURCE.includes(`env.${name}`);
        expect({ name, known }).toEqual({ name, known: true });
      }
      for (const match of code.matchAll(/\bnpm (?:run (?:-s )?([\w:-]+)|(start|test)\b)/g)) {
        const script = match[1] ?? match[2];
        expect({ script, exists: script in SCRIPTS }).toEqual({ script, exists: true });
      }
    },
    { notRun: reason },
  );

// Arguments by name: their order means nothing to GraphQL.
const signature = (field: FieldDefinitionNode) => {
  const args = [...(field.arguments ?? [])]
    .sort((a, b) => a.name.value.localeCompare(b.name.value))
    .map((arg) => `${arg.name.value}: ${print(arg.type)}${arg.defaultValue ? ` = ${print(arg.defaultValue)}` : ''}`);
  return `${field.name.value}(${args.join(', ')}): ${print(field.type)}`;
};

const INLINE: Record<string, Check> = {
  'two-commands': notRunnable(
    'npm ci would reinstall the shared node_modules, npm start serves port 4000 until stopped, npm test is this very suite',
  ),
  'first-admin': runCliLines,
  // The API summary: every field it lists is in schema.graphql with the same arguments, defaults and type.
  'schema-summary': async (code) => {
    const schema = buildSchema(readFileSync(join(ROOT, 'schema.graphql'), 'utf8'));
    for (const definition of parse(code).definitions) {
      if (definition.kind !== 'ObjectTypeDefinition') throw new Error(`unexpected ${definition.kind}`);
      const type = schema.getType(definition.name.value);
      if (!isObjectType(type)) throw new Error(`no type ${definition.name.value} in schema.graphql`);
      const shown = (definition.fields ?? []).map((field) => `${type.name}.${signature(field)}`);
      const actual = (definition.fields ?? []).map((field) => {
        const node = type.getFields()[field.name.value]?.astNode;
        return `${type.name}.${node ? signature(node) : `${field.name.value} missing`}`;
      });
      expect(shown).toEqual(actual);
    }
  },
  // The login document of the Second factor section is valid against schema.graphql and asks for both branches.
  'login-union': async (code) => {
    const schema = buildSchema(readFileSync(join(ROOT, 'schema.graphql'), 'utf8'));
    expect(validate(schema, parse(code)).map((error) => error.message)).toEqual([]);
    expect(code).toMatch(/\.\.\. on AuthPayload/);
    expect(code).toMatch(/\.\.\. on MfaChallenge/);
    const { body } = await server.post({ query: code, variables: { input: { email: 'ada@example.com', password: PASSWORD } } });
    expect(body.data?.login).toMatchObject({ __typename: 'AuthPayload', accessToken: expect.stringMatching(/^ey/) });
  },
  'web-example': notRunnable('both commands serve until stopped (tests/integration/web-app.test.ts drives the app)'),
  // Each line of example keys, with the placeholders filled in, is accepted as JWT_KEYS.
  'jwt-keys': async (code) => {
    const pem = () =>
      generateKeyPairSync('ec', {
        namedCurve: 'P-256',
        publicKeyEncoding: { type: 'spki', format: 'pem' },
        privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
      });
    for (const line of code.trim().split('\n')) {
      const keys = (JSON.parse(line) as Record<string, string>[]).map((key) => ({
        ...key,
        ...('secret' in key ? { secret: randomBytes(48).toString('base64') } : {}),
        ...('privateKey' in key ? { privateKey: pem().privateKey } : {}),
        ...('publicKey' in key ? { publicKey: pem().publicKey } : {}),
      }));
      const algorithm = keys.some((key) => 'secret' in key) ? 'HS256' : 'ES256';
      expect(() => loadConfig({ ...server.env, JWT_ALGORITHM: algorithm, JWT_KEYS: JSON.stringify(keys) })).not.toThrow();
    }
  },
  // Each setting, with its placeholders as they are, is accepted by the configuration as the README says.
  'mail-settings': async (code) => {
    const lines = code
      .trim()
      .split('\n')
      .map((line) => /^([A-Z_]+)=('([^']*)'|(\S+))/.exec(line)!);
    for (const [, name, , quoted, bare] of lines) {
      const config = loadConfig({ ...server.env, [name]: quoted ?? bare });
      if (name === 'SMTP_URL') expect(config.mail.smtp?.url).toBe(bare);
      else expect(config.mail.from).toBe(quoted);
    }
    expect(loadConfig({ ...server.env, SMTP_URL: lines[2][4] }).mail.smtp?.tls).toBe('off');
  },
  postgresql: notRunnable('creates a database and serves port 4000 until stopped (every test here runs on PostgreSQL with DATABASE_URL)'),
  cli: runCliLines,
};

describe('README code blocks', () => {
  it('names every block, each once, and every snippet file and inline check is shown', () => {
    const names = blocks.map((block) => block.name ?? `unnamed block at README.md:${block.line}`);
    expect(names.filter((name) => !(isFile(name) ? name in FILES : name in INLINE))).toEqual([]);
    expect(new Set(names).size).toBe(names.length);
    expect([...snippetFiles, ...Object.keys(FILES), ...Object.keys(INLINE)].filter((name) => !names.includes(name))).toEqual([]);
  });

  it('shows each snippet file verbatim', () => {
    for (const block of blocks.filter((b) => b.name && isFile(b.name))) {
      expect({ file: block.name, code: block.code }).toEqual({ file: block.name, code: readFileSync(join(ROOT, block.name!), 'utf8') });
    }
  });

  // In README order, as a reader goes: the curl sequence registers ada@example.com, whom the later ones log in as.
  for (const block of blocks.filter((b) => b.name)) {
    const name = block.name!;
    const notRun = isFile(name) ? undefined : INLINE[name]?.notRun;
    it(`${name} (README.md:${block.line}, ${block.lang}) ${notRun ? `is not run: ${notRun}; its names are checked` : 'works'}`, async () => {
      await (isFile(name) ? FILES[name]() : INLINE[name](block.code));
    });
  }
});
