import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
    projects: [
      {
        extends: true,
        test: {
          name: 'node',
          include: ['tests/**/*.test.ts'],
          // tests/worker/** runs inside workerd: the second project.
          exclude: ['tests/worker/**', '**/node_modules/**'],
          pool: 'forks',
        },
      },
      './vitest.workers.config.ts',
    ],
  },
});
