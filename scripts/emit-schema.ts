// Writes schema.graphql from the code; with --check, fails when the committed file differs.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildGraphQLSchema, printSchemaFile } from '../src/schema';

const file = join(__dirname, '..', 'schema.graphql');

async function main(): Promise<void> {
  const sdl = printSchemaFile(await buildGraphQLSchema());
  if (!process.argv.includes('--check')) {
    writeFileSync(file, sdl);
    console.log(`wrote ${file}`);
    return;
  }
  let committed = '';
  try {
    committed = readFileSync(file, 'utf8');
  } catch {
    // missing counts as different
  }
  if (committed !== sdl) {
    console.error('schema.graphql is out of date: run `npm run schema:emit` and commit the result.');
    process.exit(1);
  }
  console.log('schema.graphql is up to date');
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
