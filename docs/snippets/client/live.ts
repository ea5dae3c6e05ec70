// See ./index.ts: the path README's snippets use, resolved from docs/snippets.
export * from '../../../client/live';
