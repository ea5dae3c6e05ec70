import type { FastifyInstance } from 'fastify';
import { buildDir, registerBuiltPage } from './static-files';

/** Where `npm run build` writes the admin console (console/ bundled by Vite: scripts/build-console.js). */
export const CONSOLE_BUILD_DIR = buildDir('console');

const NOT_BUILT = 'The admin console is not built: run `npm run build` (it needs the dev dependencies: Vite and Chart.js), then reload.\n';

/**
 * Strict: the console's scripts and styles are its own files (no inline script, no style attribute), it
 * talks to this server only (HTTP and the graphql-ws socket, both same-origin), and no other page may frame it.
 * Chart.js sizes its canvas through the CSSOM (element.style), which style-src does not govern.
 */
export const CONSOLE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  "img-src 'self' data:",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * GET /admin/: the operators' console, a static page that uses the public GraphQL API only, so it holds
 * no power of its own: whoever opens it must sign in as an ADMIN (with their second factor). Registered
 * unless ADMIN_CONSOLE=false, in production too.
 */
export function registerAdminConsole(fastify: FastifyInstance, folder = CONSOLE_BUILD_DIR): void {
  registerBuiltPage(fastify, { prefix: '/admin', folder, csp: CONSOLE_CSP, notBuilt: NOT_BUILT });
}
