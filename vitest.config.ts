import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: ['packages/*', 'test'],
    // The JSON report lets .ci/run print a plain "N passed, N failed" line per Node version.
    reporters: ['default', ['json', { outputFile: '.vitest-results.json' }]],
  },
});
