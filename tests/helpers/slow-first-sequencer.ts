/**
 * Test files in the order that ends the run soonest on a fresh clone: vitest orders files by their last
 * duration when it has a cache, and by file size when it has none (as in CI). With three files at a time,
 * a long file that starts last stretches the run, so the files measured as the longest go first.
 */
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/** The longest files of a full run (seconds, 2026-12-02 on the 2-core machine), longest first. */
const LONGEST: readonly string[] = [
  'tests/e2e/console.e2e.test.ts', // 140-170
  'tests/import.test.ts', // 130
  'tests/federation-live.test.ts', // 80
  'tests/e2e/live-presentation.e2e.test.ts', // 60
  'tests/e2e/console-admin.e2e.test.ts', // 60
  'tests/concurrent-issuance.test.ts', // 50
  'tests/e2e/api-docs.e2e.test.ts', // 50
  'tests/import-interrupt.test.ts', // 42
  'tests/node-settings.test.ts', // 42
  'tests/node-build.test.ts', // 36
  'tests/e2e/holder-app.e2e.test.ts', // 35
];

const rank = (spec: TestSpecification): number => {
  const index = LONGEST.findIndex((path) => spec.moduleId.endsWith(path));
  return index === -1 ? LONGEST.length : index;
};

export default class SlowFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    // Array.prototype.sort is stable: the rest keep vitest's own order.
    return sorted.sort((a, b) => rank(a) - rank(b));
  }
}
