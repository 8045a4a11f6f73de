import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

/**
 * The dashboard is served by the gateway at /dashboard from dist/dashboard (`npm run build` runs
 * `nest build` first, which empties dist/). No inline script or style in the output, so the
 * gateway's Content-Security-Policy can forbid both. `npm run dev:web` proxies the API to a
 * gateway on :3000.
 */
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/dashboard/',
  build: {
    outDir: fileURLToPath(new URL('../dist/dashboard', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
  },
  server: { proxy: { '/api': 'http://127.0.0.1:3000' } },
});
