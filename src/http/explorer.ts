import type { FastifyInstance } from 'fastify';
import { buildDir, registerBuiltPage } from './static-files';

/** Where `npm run explorer:build` writes GraphiQL (explorer/ bundled by Vite). */
export const EXPLORER_BUILD_DIR = buildDir('explorer');

const NOT_BUILT =
  'The GraphQL explorer is not built yet: run `npm run explorer:build` (`npm run build` runs it too), then reload.\n' +
  'Apollo Sandbox, at /graphql, needs no build but loads from the internet.\n';

/**
 * Everything from this server, nothing from anywhere else. Monaco (GraphiQL's editor) adds <style>
 * elements as it runs, runs its language services in workers that are files of the page, and inlines
 * its fonts and icons (data:).
 */
const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "worker-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "font-src 'self' data:",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * GET /explorer/: GraphiQL, served from this server's own files so that it works offline, with a form that
 * logs in and puts the access token in its request headers. Registered outside production only.
 */
export function registerExplorer(fastify: FastifyInstance, folder = EXPLORER_BUILD_DIR): void {
  registerBuiltPage(fastify, { prefix: '/explorer', folder, csp: CSP, notBuilt: NOT_BUILT });
}
