import { defineConfig } from 'tsup';

export default defineConfig([
  {
    entry: ['src/index.ts'],
    format: ['esm', 'cjs'],
    dts: true,
    sourcemap: true,
    // Each build cleans only its own files: the two run at the same time.
    clean: ['index.*'],
    target: 'node20',
    platform: 'node',
  },
  {
    // The bin: ESM only, its shebang kept by esbuild.
    entry: ['src/cli.ts'],
    format: ['esm'],
    sourcemap: true,
    clean: ['cli.*'],
    target: 'node20',
    platform: 'node',
  },
]);
