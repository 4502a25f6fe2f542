/**
 * A browser test file's own build of a web app, in a folder of its own that the app under test serves
 * (VERIFIER_DIST_DIR, HOLDER_DIST_DIR: read per request, and each test file is its own process). Files
 * run three at a time: rebuilding the shared dist/ folder under another file's server made its page fail
 * to load now and then.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildHolderApp } from '../../scripts/build-holder.js';
import { buildVerifierApp } from '../../scripts/build-verifier.js';

export async function buildOwnVerifierApp(): Promise<string> {
  const { outDir } = await buildVerifierApp({ outDir: join(mkdtempSync(join(tmpdir(), 'own-verifier-')), 'verifier'), quiet: true });
  process.env['VERIFIER_DIST_DIR'] = outDir;
  return outDir;
}

export async function buildOwnHolderApp(): Promise<string> {
  const { outDir } = await buildHolderApp({ outDir: join(mkdtempSync(join(tmpdir(), 'own-holder-')), 'holder'), quiet: true });
  process.env['HOLDER_DIST_DIR'] = outDir;
  return outDir;
}
