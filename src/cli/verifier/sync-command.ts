/**
 * `sync`: fetches a verifier bundle, checks every piece (check-bundle.ts), and writes it atomically.
 * Incremental: the state file remembers the source URL, ETag and generatedAt of the last sync, so the
 * next run sends If-None-Match and `?since=`; 304 leaves the file as it is, a delta is merged into
 * it (newest piece per anchor / status list URL, status patches applied to the copies held), a full
 * answer replaces it. Lists a patch could not bring up to date are fetched again, just those
 * (`POST /verifier-bundle/lists`). `--province-only` asks for and keeps only the status data of the
 * pinned anchors' own authorities; the state remembers it so `verify` can say why another
 * province's licence has no status.
 */
import { existsSync } from 'node:fs';
import { ageText } from '../../../verifier/index.js';
import { parseBundle, serializeBundle, type VerifierBundle } from '../../core/bundle.js';
import { parseDateTimeMs } from '../../core/dates.js';
import { ElicenceError } from '../../core/errors.js';
import { pinnedAnchors } from '../../core/trust-list.js';
import { readAnchorFiles } from './anchors.js';
import type { SyncArgs } from './args.js';
import { type BundleCheck, checkBundle, mergeBundles } from './check-bundle.js';
import { EXIT } from './exit-codes.js';
import { fetchBundle, fetchListCopies } from './fetch-bundle.js';
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
  lines.push(
    `status lists: ${check.statusLists.length} from ${issuers.size} issuer(s)${check.outOfProvince > 0 ? ` (${check.outOfProvince} of other provinces left out: province-only)` : ''}`,
  );
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
  // Province-only asks the service for one anchor's authorities when exactly one pinned anchor has an id.
  const ids = (await pinnedAnchors(anchors)).anchors.map((a) => a.id);
  const anchorParam = args.provinceOnly && ids.length === 1 && ids[0] !== undefined ? ids[0] : undefined;
  return withState({ path: args.state, cwd: io.cwd, env: io.env, bundles: [args.out] }, async (state, bundlePath) => {
    const outPath = bundlePath(args.out);
    const record = state.syncs[outPath];
    const sameSource = !args.full && record?.url === url.href && (record.provinceOnly === true) === args.provinceOnly;
    const previous = sameSource ? readPrevious(args.out, io) : undefined;

    const fetched = await fetchBundle(url, {
      fetch: io.fetch,
      timeoutMs: args.timeoutMs,
      maxBytes: args.maxBytes,
      ...(anchorParam === undefined ? {} : { anchor: anchorParam }),
      ...(previous && record ? { since: record.generatedAt, ...(record.etag ? { etag: record.etag } : {}) } : {}),
    });
    const options = { anchors, now, minSequences: state.trustListSequences, anchorBindings: state.anchorBindings, provinceOnly: args.provinceOnly };

    if (fetched.status === 'not-modified') {
      if (!previous) throw new ElicenceError('ERR_FETCH_FAILED', `${url.href}: answered 304 Not Modified to an unconditional request`);
      const check = await checkBundle(previous, options);
      io.stdout(`${url.href}: not modified since ${previous.generatedAt}; ${args.out} kept as it is\n${summary(check, now)}`);
      return EXIT.ok;
    }

    const received = parseBundle(fetched.bytes);
    const combined = fetched.delta && previous ? mergeBundles(previous, received) : received;
    let check = await checkBundle(combined, options);
    let refetched = '';
    if (fetched.patches && check.refetch.length > 0) {
      // Copies no patch could bring up to date: full copies of just those lists.
      const copies = parseBundle(await fetchListCopies(url, check.refetch, { fetch: io.fetch, timeoutMs: args.timeoutMs, maxBytes: args.maxBytes }));
      refetched = `; full copies of ${check.refetch.length} list(s) fetched`;
      check = await checkBundle(mergeBundles(check.bundle, copies), options);
    }
    // Stored as sent: pieces unpacked, one line (a national bundle is large).
    const text = fetched.patches ? serializeBundle(check.bundle) : JSON.stringify(check.bundle, null, 2);
    writeFileAtomic(userPath(args.out, io.cwd, '--out'), `${text}\n`, '--out');

    raiseSequences(state, check.trustLists);
    keepBindings(state, check.anchorBindings);
    state.syncs[outPath] = {
      url: url.href,
      generatedAt: received.generatedAt,
      ...(fetched.etag === undefined ? {} : { etag: fetched.etag }),
      ...(args.provinceOnly ? { provinceOnly: true } : {}),
    };

    const pieces = received.trustLists.length + received.statusLists.length + (received.statusPatches?.length ?? 0) + (received.statusCopies?.length ?? 0);
    const kind =
      fetched.delta && previous ? `delta with ${pieces} piece(s)${fetched.patches ? ` (${received.statusPatches?.length ?? 0} status patch(es))` : ''}, merged` : 'full bundle';
    io.stdout(
      `${url.href}: ${kind} (${fetched.bytes.byteLength} bytes)${refetched}; every piece verified\nwrote ${args.out} (generated ${received.generatedAt})\n${summary(check, now)}`,
    );
    return EXIT.ok;
  });
}
