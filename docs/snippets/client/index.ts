// README's snippets import './client' as a file at the repository root would; this re-export lets the
// very same text compile and run from docs/snippets (tests/integration/readme.test.ts).
export * from '../../../client';
