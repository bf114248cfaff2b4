import { defineConfig } from 'vitest/config';

// Lets `npm test` run inside this folder; the repository's root configuration runs the same file with the rest.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});
