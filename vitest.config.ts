import { defineConfig } from 'vitest/config';
import SlowFirstSequencer from './tests/helpers/slow-first-sequencer.js';

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Most of the run waits on browsers, servers and child processes, not on this process's CPU: vitest's
    // default (CPUs - 1) runs one file at a time on a 2-core machine and takes the suite past 10 minutes.
    maxWorkers: 3,
    sequence: { sequencer: SlowFirstSequencer },
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
