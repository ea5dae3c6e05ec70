import { defineConfig } from 'vite';

// GraphiQL, bundled from its npm package into dist/explorer, which the server serves at /explorer outside
// production (src/http/explorer.ts). Build it with `npm run explorer:build`.
export default defineConfig({
  // Relative asset URLs: the page works under /explorer/ (or behind a proxy's prefix).
  base: './',
  build: {
    outDir: '../dist/explorer',
    emptyOutDir: true,
    // Monaco, the editor GraphiQL uses, is a few megabytes; the page loads it once, from the local server.
    chunkSizeWarningLimit: 8192,
    rolldownOptions: {
      onwarn(warning, warn) {
        // React's "use client" marks, in a bundle that is all client: nothing is lost by dropping them.
        if (warning.code !== 'MODULE_LEVEL_DIRECTIVE') warn(warning);
      },
    },
  },
});
