import { defineConfig } from 'vite';

export default defineConfig({
  // Relative asset URLs: the built app works from any folder and path (the e2e test serves it from a temp dir).
  base: './',
  // 127.0.0.1, not localhost: CORS_ORIGINS lists exact origins, and the page must be on the same site as
  // the API for the browser to send the SameSite=Strict refresh cookie. Start Gatehouse on 127.0.0.1 too.
  server: { host: '127.0.0.1', port: 5173, strictPort: true },
  preview: { host: '127.0.0.1', port: 5173, strictPort: true },
});
