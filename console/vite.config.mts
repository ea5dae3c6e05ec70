import { defineConfig } from 'vite';

// The admin console, bundled into dist/console, which the server serves at /admin (src/http/admin-console.ts)
// unless ADMIN_CONSOLE=false. `npm run build` builds it (scripts/build-console.js), and so does any start.
export default defineConfig({
  // Relative asset URLs: the page works under /admin/ (or behind a proxy's prefix).
  base: './',
  build: {
    outDir: '../dist/console',
    emptyOutDir: true,
    // A module script and its stylesheet only: no inline <script>, no inlined assets the CSP would refuse.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
  },
});
