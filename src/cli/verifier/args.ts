/**
 * Command lines of `verify` and `sync`, parsed strictly (unknown options, missing values and stray
 * positionals are usage errors, exit 64) into typed options.
 */
import { parseArgs } from 'node:util';
import { parseDateTimeMs } from '../../core/dates.js';
import { bundleUrlOf } from './fetch-bundle.js';

export const VERIFY_USAGE = `usage: npm run elicence -- verify <qr-text | jws | image.png | image.jpg | file | -> --bundle <file> --anchors <jwks-file>
         [--bundle <file> ...] [--anchors <jwks-file> ...] [--json] [--lang zh|en] [--now <iso-date-time>]
         [--max-status-age <seconds>] [--live-window <seconds>] [--state <file>]

  Verifies a licence, a device-bound copy or an agent authorisation offline (EL2: shown live when its
  device proof is within --live-window seconds of this clock, default 90). Exit 0 only for VALID; see docs/verifier.md for the exit codes.
  Several --bundle files (one per deployment, e.g. two provinces) are used together.`;

export const SYNC_USAGE = `usage: npm run elicence -- sync <url> --anchors <jwks-file> [--anchors <jwks-file> ...] --out <file>
         [--state <file>] [--full] [--province-only] [--timeout <seconds>] [--max-bytes <n>] [--now <iso-date-time>]

  Fetches a verifier bundle (the service's base URL or its /verifier-bundle URL), checks every piece,
  and writes it atomically to --out. Later runs refresh incrementally (If-None-Match, ?since=, status
  patches). --province-only keeps only the status data of the pinned anchors' own authorities.`;

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export interface VerifyArgs {
  input: string;
  /** One or more bundle files, used together (the state file follows the first). */
  bundles: string[];
  anchors: string[];
  json: boolean;
  lang: 'zh' | 'en' | undefined;
  now: number | undefined;
  maxStatusAgeSeconds: number | undefined;
  liveWindowSeconds: number | undefined;
  state: string | undefined;
}

export interface SyncArgs {
  /** The bundle URL (already resolved from a base URL, http(s) only). */
  url: URL;
  anchors: string[];
  out: string;
  state: string | undefined;
  full: boolean;
  /** Only the pinned anchors' own authorities' status data. */
  provinceOnly: boolean;
  timeoutMs: number;
  maxBytes: number;
  now: number | undefined;
}

export const DEFAULT_SYNC_TIMEOUT_SECONDS = 30;
export const DEFAULT_SYNC_MAX_BYTES = 32 * 1024 * 1024;

type OptionSpec = Record<string, { type: 'string' | 'boolean'; multiple?: boolean; short?: string }>;
type OptionValues = Record<string, string | boolean | Array<string | boolean> | undefined>;

function parse(args: string[], options: OptionSpec): { values: OptionValues; positionals: string[] } {
  try {
    const parsed = parseArgs({ args, options: { ...options, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true });
    return { values: parsed.values as OptionValues, positionals: parsed.positionals };
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}

function seconds(value: string | undefined, name: string, { min = 0 } = {}): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+(\.\d+)?$/.test(value) || Number(value) < min)
    throw new UsageError(`${name} must be a number of seconds${min > 0 ? ` of at least ${min}` : ''}, not ${JSON.stringify(value)}`);
  return Number(value);
}

function instant(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const ms = parseDateTimeMs(value);
  if (ms === undefined) throw new UsageError(`--now must be a date-time with a zone, e.g. 2026-06-01T08:00:00Z, not ${JSON.stringify(value)}`);
  return ms;
}

function nonEmpty(value: string | undefined, name: string): string {
  if (value === undefined || value === '') throw new UsageError(`${name} is required`);
  return value;
}

/** Parsed verify options, or 'help'. */
export function parseVerifyArgs(args: string[]): VerifyArgs | 'help' {
  const { values, positionals } = parse(args, {
    bundle: { type: 'string', multiple: true },
    anchors: { type: 'string', multiple: true },
    json: { type: 'boolean' },
    lang: { type: 'string' },
    now: { type: 'string' },
    'max-status-age': { type: 'string' },
    'live-window': { type: 'string' },
    state: { type: 'string' },
  });
  if (values.help) return 'help';
  if (positionals.length !== 1)
    throw new UsageError(positionals.length === 0 ? 'the licence input (QR text, JWS, image path or -) is required' : `one input expected, got ${positionals.length}`);
  const lang = values.lang as string | undefined;
  if (lang !== undefined && lang !== 'zh' && lang !== 'en') throw new UsageError(`--lang must be zh or en, not ${JSON.stringify(lang)}`);
  const anchors = (values.anchors as string[] | undefined) ?? [];
  if (anchors.length === 0) throw new UsageError('--anchors <jwks-file> is required (the pinned trust-anchor keys)');
  const bundles = (values.bundle as string[] | undefined) ?? [];
  if (bundles.length === 0) throw new UsageError('--bundle <file> is required');
  return {
    input: positionals[0]!,
    bundles: bundles.map((bundle) => nonEmpty(bundle, '--bundle <file>')),
    anchors,
    json: values.json === true,
    lang,
    now: instant(values.now as string | undefined),
    maxStatusAgeSeconds: seconds(values['max-status-age'] as string | undefined, '--max-status-age'),
    liveWindowSeconds: seconds(values['live-window'] as string | undefined, '--live-window'),
    state: values.state as string | undefined,
  };
}

export function parseSyncArgs(args: string[]): SyncArgs | 'help' {
  const { values, positionals } = parse(args, {
    anchors: { type: 'string', multiple: true },
    out: { type: 'string' },
    state: { type: 'string' },
    full: { type: 'boolean' },
    'province-only': { type: 'boolean' },
    timeout: { type: 'string' },
    'max-bytes': { type: 'string' },
    now: { type: 'string' },
  });
  if (values.help) return 'help';
  if (positionals.length !== 1) throw new UsageError(positionals.length === 0 ? 'the URL to sync from is required' : `one URL expected, got ${positionals.length}`);
  const anchors = (values.anchors as string[] | undefined) ?? [];
  if (anchors.length === 0) throw new UsageError('--anchors <jwks-file> is required (the pinned trust-anchor keys)');
  let url: URL;
  try {
    url = bundleUrlOf(positionals[0]!);
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  const maxBytesText = values['max-bytes'] as string | undefined;
  if (maxBytesText !== undefined && (!/^\d+$/.test(maxBytesText) || Number(maxBytesText) < 1024)) throw new UsageError('--max-bytes must be a whole number of at least 1024');
  return {
    url,
    anchors,
    out: nonEmpty(values.out as string | undefined, '--out <file>'),
    state: values.state as string | undefined,
    full: values.full === true,
    provinceOnly: values['province-only'] === true,
    timeoutMs: (seconds(values.timeout as string | undefined, '--timeout', { min: 1 }) ?? DEFAULT_SYNC_TIMEOUT_SECONDS) * 1000,
    maxBytes: maxBytesText === undefined ? DEFAULT_SYNC_MAX_BYTES : Number(maxBytesText),
    now: instant(values.now as string | undefined),
  };
}
