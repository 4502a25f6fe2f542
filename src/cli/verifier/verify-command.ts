/**
 * `verify`: reads the input (text, image or stdin), the bundle, the pinned anchors and the state
 * file; runs the offline verifier with the highest trust-list sequences seen so far (replays across
 * runs are refused); persists any higher sequence; prints the result; exits with the verdict's code.
 */
import { DEFAULT_MAX_STATUS_AGE_SECONDS, parseBundle, type VerifierBundle, verify } from '../../../verifier/index.js';
import { parseDateTimeMs } from '../../core/dates.js';
import type { ElicenceError } from '../../core/errors.js';
import { readAnchorFiles } from './anchors.js';
import type { VerifyArgs } from './args.js';
import { VERDICT_EXIT_CODES } from './exit-codes.js';
import { MAX_BUNDLE_BYTES, readUserFile } from './files.js';
import { formatHuman } from './format.js';
import { readLicenceInput } from './input.js';
import type { CliIo } from './io.js';
import { pickLang } from './locale.js';
import { keepBindings, raiseSequences, raiseStatusListsSeen, withState } from './state.js';

export async function runVerify(args: VerifyArgs, io: CliIo): Promise<number> {
  const { anchors } = await readAnchorFiles(args.anchors, io.cwd);
  const bundleFiles = args.bundles.map((file) => readUserFile(file, { cwd: io.cwd, label: '--bundle', maxBytes: MAX_BUNDLE_BYTES }));
  const input = await readLicenceInput(args.input, io);
  const bundle = combineBundles(bundleFiles);
  const now = args.now ?? io.now();
  const maxStatusAgeSeconds = args.maxStatusAgeSeconds ?? DEFAULT_MAX_STATUS_AGE_SECONDS;
  const stateOptions = {
    path: args.state,
    cwd: io.cwd,
    env: io.env,
    bundles: args.bundles,
    // The verdict stands; only the replay memory could not be kept. Say so loudly.
    onWriteFailure: (error: ElicenceError) => io.stderr(`warning: ${error.message}; trust and status list versions not remembered\n`),
  };
  const result = await withState(stateOptions, async (state, bundlePath) => {
    const verified = await verify(input.text, bundle, {
      anchors,
      now,
      maxStatusAgeSeconds,
      ...(args.liveWindowSeconds === undefined ? {} : { liveWindowSeconds: args.liveWindowSeconds }),
      trustListSequences: { ...state.trustListSequences },
      statusListsSeen: { ...state.statusListsSeen },
      statusVersionsSeen: { ...state.statusVersionsSeen },
      provinceOnly: args.bundles.some((file) => state.syncs[bundlePath(file)]?.provinceOnly === true),
      anchorBindings: { ...state.anchorBindings },
    });
    raiseSequences(state, verified.trustLists);
    // Per issuer and URL: another authority's pieces naming the same URL never raise this issuer's.
    raiseStatusListsSeen(
      state,
      verified.statusLists.map((l) => ({ ...l, url: l.seenKey })),
    );
    keepBindings(state, verified.anchorBindings);
    return verified;
  });

  if (args.json) {
    io.stdout(`${JSON.stringify(result, null, 2)}\n`);
  } else {
    io.stdout(
      formatHuman(result, {
        lang: pickLang(args.lang, io.env),
        colour: io.colour,
        now,
        maxStatusAgeSeconds,
        source: input.source,
        ...(bundle instanceof Uint8Array ? {} : { bundleGeneratedAt: bundle.generatedAt }),
      }),
    );
  }
  return VERDICT_EXIT_CODES[result.verdict];
}

/**
 * The bundles as one. Parsed here to merge them and show their age; a malformed bundle goes to the
 * library as bytes and comes back as a verdict like any other bad data. Merging is safe: every piece
 * is still checked on its own, and the oldest bundle's time is the one shown.
 */
function combineBundles(files: readonly Uint8Array[]): VerifierBundle | Uint8Array {
  const parsed: VerifierBundle[] = [];
  for (const bytes of files) {
    try {
      parsed.push(parseBundle(bytes));
    } catch {
      return bytes; // reported by verify()
    }
  }
  if (parsed.length === 1) return parsed[0]!;
  return {
    version: 1,
    generatedAt: parsed.map((b) => b.generatedAt).reduce((oldest, at) => ((parseDateTimeMs(at) ?? 0) < (parseDateTimeMs(oldest) ?? 0) ? at : oldest)),
    trustLists: parsed.flatMap((b) => b.trustLists),
    statusLists: parsed.flatMap((b) => b.statusLists),
    statusReasons: parsed.flatMap((b) => b.statusReasons ?? []),
    statusPatches: parsed.flatMap((b) => b.statusPatches ?? []),
    statusCopies: parsed.flatMap((b) => b.statusCopies ?? []),
  };
}
