/**
 * `sync`: fetches a verifier bundle, checks every piece (check-bundle.ts), and writes it atomically.
 * Incremental: the state file remembers the source URL, ETag and generatedAt of the last sync, so the
 * next run sends If-None-Match and `?since=`; 304 leaves the file as it is, a delta is merged into
 * it (newest piece per anchor / status list URL), a full answer replaces it.
 */
import { existsSync } from 'node:fs';
import { ageText } from '../../../verifier/index.js';
import { parseBundle, type VerifierBundle } from '../../core/bundle.js';
import { parseDateTimeMs } from '../../core/dates.js';
import { ElicenceError } from '../../core/errors.js';
import { readAnchorFiles } from './anchors.js';
import type { SyncArgs } from './args.js';
import { type BundleCheck, checkBundle, mergeBundles } from './check-bundle.js';
import { EXIT } from './exit-codes.js';
import { fetchBundle } from './fetch-bundle.js';
import { MAX_BUNDLE_BYTES, readUserFile, userPath, writeFileAtomic } from './files.js';
import type { CliIo } from './io.js';
import { keepBindings, raiseSequences, withState } from './state.js';

function readPrevious(path: string, io: CliIo): VerifierBundle | undefined {
  if (!existsSync(userPath(path, io.cwd, '--out'))) return undefined;
  try {
    return parseBundle(readUserFile(path, { cwd: io.cwd, label: '--out', maxBytes: MAX_BUNDLE_BYTES }));
  } catch (error) {
    if (error instanceof ElicenceError && error.code.startsWith('ERR_FILE_')) throw error;
    io.stderr(`note: the existing ${path} is not a usable bundle (${error instanceof Error ? error.message : String(error)}); fetching a full one\n`);
    return undefined;
  }
}

function summary(check: BundleCheck, now: number): string {
  const lines: string[] = [];
  const age = (iso: string | number) => ageText((now - (typeof iso === 'number' ? iso : (parseDateTimeMs(iso) ?? Number.NaN))) / 1000, 'en');
  lines.push(`trust lists: ${check.trustLists.length}`);
  for (const t of check.trustLists) {
    lines.push(
      `  ${t.anchorId} #${t.sequence}: ${t.authorities} issuing authorities, issued ${age(t.issuedAt)}, expires ${t.expiresAt}${t.vouchedBy ? `, federated by ${t.vouchedBy}` : ''}`,
    );
  }
  const issuers = new Map<string, string[]>();
  for (const s of check.statusLists) issuers.set(s.issuer, [...(issuers.get(s.issuer) ?? []), s.purpose]);
  lines.push(`status lists: ${check.statusLists.length} from ${issuers.size} issuer(s)`);
  for (const [issuer, purposes] of issuers) lines.push(`  ${issuer}: ${purposes.join(', ')}`);
  if (check.statusLists.length > 0) {
    const times = check.statusLists.map((s) => s.issuedAt);
    lines.push(`  newest signed ${age(Math.max(...times))}, oldest signed ${age(Math.min(...times))}`);
  }
  for (const d of check.dropped) lines.push(`dropped: ${d}`);
  for (const w of check.warnings) lines.push(`warning: ${w}`);
  return `${lines.join('\n')}\n`;
}

export async function runSync(args: SyncArgs, io: CliIo): Promise<number> {
  const url = args.url;
  const { anchors } = await readAnchorFiles(args.anchors, io.cwd);
  const now = args.now ?? io.now();
  return withState({ path: args.state, cwd: io.cwd, env: io.env, bundles: [args.out] }, async (state, bundlePath) => {
    const outPath = bundlePath(args.out);
    const record = state.syncs[outPath];
    const sameSource = !args.full && record?.url === url.href;
    const previous = sameSource ? readPrevious(args.out, io) : undefined;

    const fetched = await fetchBundle(url, {
      fetch: io.fetch,
      timeoutMs: args.timeoutMs,
      maxBytes: args.maxBytes,
      ...(previous && record ? { since: record.generatedAt, ...(record.etag ? { etag: record.etag } : {}) } : {}),
    });
    const options = { anchors, now, minSequences: state.trustListSequences, anchorBindings: state.anchorBindings };

    if (fetched.status === 'not-modified') {
      if (!previous) throw new ElicenceError('ERR_FETCH_FAILED', `${url.href}: answered 304 Not Modified to an unconditional request`);
      const check = await checkBundle(previous, options);
      io.stdout(`${url.href}: not modified since ${previous.generatedAt}; ${args.out} kept as it is\n${summary(check, now)}`);
      return EXIT.ok;
    }

    const received = parseBundle(fetched.bytes);
    const combined = fetched.delta && previous ? mergeBundles(previous, received) : received;
    const check = await checkBundle(combined, options);
    writeFileAtomic(userPath(args.out, io.cwd, '--out'), `${JSON.stringify(check.bundle, null, 2)}\n`, '--out');

    raiseSequences(state, check.trustLists);
    keepBindings(state, check.anchorBindings);
    state.syncs[outPath] = { url: url.href, generatedAt: received.generatedAt, ...(fetched.etag === undefined ? {} : { etag: fetched.etag }) };

    const kind = fetched.delta && previous ? `delta with ${received.trustLists.length + received.statusLists.length} piece(s), merged` : 'full bundle';
    io.stdout(`${url.href}: ${kind} (${fetched.bytes.byteLength} bytes); every piece verified\nwrote ${args.out} (generated ${received.generatedAt})\n${summary(check, now)}`);
    return EXIT.ok;
  });
}
