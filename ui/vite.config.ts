import { defineConfig } from 'vite';

// The UI imports the flow language (node schemas, graph checks) straight from domain/flow, so the
// designer's forms and inline errors follow the very zod schemas the API and the interpreter use.
export default defineConfig({
  base: '/',
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: true, chunkSizeWarningLimit: 2000 },
  server: { fs: { allow: ['..'] }, proxy: { '/v1': 'http://127.0.0.1:3000' } },
  oxc: { jsx: { runtime: 'automatic' } },
});
