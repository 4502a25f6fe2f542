/**
 * `npm run elicence -- trust <subcommand>`: the trust-anchor register and trust lists, run against
 * the local Node database and key directory (same environment as `npm start`). See docs/trust-anchor.md.
 */
import { lstatSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { parseArgs } from 'node:util';
import { type AppDeps, systemClock } from '../app/deps.js';
import { formatDateTime, parseDateTimeField } from '../core/dates.js';
import { ElicenceError } from '../core/errors.js';
import { loadNodeConfig } from '../node/config.js';
import { createFileKeyStore } from '../node/file-key-store.js';
import { openSqliteStore } from '../node/sqlite-store.js';
import { ensureDevTrustList } from '../services/bootstrap.js';
import { parseJwksText } from '../services/trust/jwks.js';
import { latestTrustList, publishTrustList } from '../services/trust/publishing.js';
import { listRegistry } from '../services/trust/register.js';
import { type KeySource, registerAuthority, setAuthorityStatus, withdrawKey } from '../services/trust/register-edits.js';
import { ANCHOR_USAGE, AnchorUsageError, runAnchorCommand } from './trust-anchors.js';

const ACTOR = 'cli';
const MAX_FILE_BYTES = 256 * 1024;

const USAGE = `usage: npm run elicence -- trust <subcommand>

  add-authority --id <did:web> --name-zh <name> --name-en <name> --jurisdiction <GB/T 2260 code>
                --types <Type,Type> [--credit-code <unified social credit code>]
                [--jwks-url <url> | --jwks-file <file>] [--valid-from <date-time>]
                (no JWKS option: an authority hosted by this deployment)
  list                        the register and the latest published list
  suspend <did> | reinstate <did> | withdraw <did>      (withdraw is final)
  withdraw-key <did> <kid>    take one key out of the next list
  publish [--ttl-days <n>]    sign and store the next trust list now
${ANCHOR_USAGE}

Changes take effect in the next published list.`;

class UsageError extends Error {}

/**
 * Reads a JWKS file. A relative path must stay inside the working directory once `..` and symlinks
 * are resolved (no surprises from a path that looks local); an absolute path is taken as meant.
 * Only a regular file of at most 256 KB.
 */
export function readJwksFile(path: string, cwd = process.cwd()): { document: unknown; resolved: string } {
  if (path.length === 0 || path.includes('\0')) throw new UsageError('--jwks-file: not a file path');
  const candidate = resolve(cwd, path);
  let real: string;
  try {
    lstatSync(candidate);
    real = realpathSync(candidate);
  } catch {
    throw new UsageError(`--jwks-file: ${candidate} does not exist`);
  }
  if (!isAbsolute(path)) {
    const inside = relative(realpathSync(cwd), real);
    if (inside === '' || inside.startsWith(`..${sep}`) || inside === '..' || isAbsolute(inside)) {
      throw new UsageError(`--jwks-file: ${path} resolves to ${real}, outside the working directory; give an absolute path if that is meant`);
    }
  }
  const stat = statSync(real);
  if (!stat.isFile()) throw new UsageError(`--jwks-file: ${real} is not a regular file`);
  if (stat.size > MAX_FILE_BYTES) throw new UsageError(`--jwks-file: ${real} is larger than ${MAX_FILE_BYTES} bytes`);
  return { document: parseJwksText(readFileSync(real, 'utf8'), 'jwks-file'), resolved: real };
}

function openDeps(): { deps: AppDeps; close(): void } {
  const config = loadNodeConfig();
  const store = openSqliteStore(config.databaseFile);
  return { deps: { store, keys: createFileKeyStore(config.keysDir), clock: systemClock, config: config.app }, close: () => store.close() };
}

async function addAuthority(deps: AppDeps, args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    strict: true,
    options: {
      id: { type: 'string' },
      'name-zh': { type: 'string' },
      'name-en': { type: 'string' },
      jurisdiction: { type: 'string' },
      types: { type: 'string' },
      'credit-code': { type: 'string' },
      'jwks-url': { type: 'string' },
      'jwks-file': { type: 'string' },
      'valid-from': { type: 'string' },
    },
  });
  for (const required of ['id', 'name-zh', 'name-en', 'jurisdiction', 'types'] as const) {
    if (!values[required]) throw new UsageError(`--${required} is required`);
  }
  if (values['jwks-url'] && values['jwks-file']) throw new UsageError('give --jwks-url or --jwks-file, not both');
  let keys: KeySource | undefined;
  if (values['jwks-file']) {
    const { document, resolved } = readJwksFile(values['jwks-file']);
    keys = { jwks: document, source: `file:${resolved}` };
  } else if (values['jwks-url']) keys = { jwksUrl: values['jwks-url'] };
  const entry = await registerAuthority(
    deps,
    {
      id: values.id!,
      name: { zh: values['name-zh']!, en: values['name-en']! },
      jurisdiction: values.jurisdiction!,
      licenceTypes: values
        .types!.split(',')
        .map((t) => t.trim())
        .filter(Boolean),
      ...(values['credit-code'] ? { creditCode: values['credit-code'] } : {}),
      ...(keys ? { keys } : {}),
      ...(values['valid-from'] ? { validFrom: parseDateTimeField(values['valid-from'], 'valid-from') } : {}),
    },
    ACTOR,
  );
  console.log(`added ${entry.id} (${entry.jurisdiction}) with ${entry.keys.length} key(s): ${entry.keys.map((k) => k.jwk.kid).join(', ')}`);
  console.log('It is listed from the next published list: npm run elicence -- trust publish');
  return 0;
}

async function list(deps: AppDeps): Promise<number> {
  const entries = await listRegistry(deps.store.db);
  if (entries.length === 0) console.log('the register is empty');
  for (const e of entries) {
    console.log(`${e.status.padEnd(9)} ${e.jurisdiction} ${e.id}  ${e.name.zh} / ${e.name.en}`);
    console.log(`          types: ${e.licenceTypes.join(', ')}  source: ${e.source ?? '-'}`);
    for (const k of e.keys) {
      console.log(`          key ${k.jwk.kid} ${k.status} from ${formatDateTime(k.validFrom)}${k.validUntil === undefined ? '' : ` until ${formatDateTime(k.validUntil)}`}`);
    }
  }
  const latest = await latestTrustList(deps.store.db);
  console.log(latest ? `latest trust list: #${latest.seq}, issued ${formatDateTime(latest.issuedAt)}, expires ${formatDateTime(latest.expiresAt)}` : 'no trust list published yet');
  return 0;
}

export async function run(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (!sub || sub === '--help' || sub === '-h') {
    console.error(USAGE);
    return sub ? 0 : 64;
  }
  let opened: ReturnType<typeof openDeps> | undefined;
  try {
    opened = openDeps();
    const deps = opened.deps;
    // A development setup lists its authority on first use, as the server does.
    await ensureDevTrustList(deps);
    switch (sub) {
      case 'add-authority':
        return await addAuthority(deps, rest);
      case 'list':
        return await list(deps);
      case 'suspend':
      case 'reinstate':
      case 'withdraw': {
        if (rest.length !== 1) throw new UsageError(`usage: trust ${sub} <did>`);
        const status = sub === 'suspend' ? 'suspended' : sub === 'reinstate' ? 'active' : 'withdrawn';
        const entry = await setAuthorityStatus(deps, rest[0]!, status, ACTOR);
        console.log(`${entry.id} is now ${entry.status}; effective in the next published list`);
        return 0;
      }
      case 'withdraw-key': {
        if (rest.length !== 2) throw new UsageError('usage: trust withdraw-key <did> <kid>');
        await withdrawKey(deps, rest[0]!, rest[1]!, ACTOR);
        console.log(`key ${rest[1]} of ${rest[0]} withdrawn; effective in the next published list`);
        return 0;
      }
      case 'publish': {
        const { values } = parseArgs({ args: rest, strict: true, options: { 'ttl-days': { type: 'string' } } });
        const days = values['ttl-days'] === undefined ? undefined : Number(values['ttl-days']);
        if (days !== undefined && !(days > 0)) throw new UsageError('--ttl-days must be a positive number');
        const published = await publishTrustList(deps, ACTOR, { reason: 'manual', ...(days === undefined ? {} : { ttlMs: Math.round(days * 86_400_000) }) });
        console.log(`published trust list #${published.seq}, issued ${formatDateTime(published.issuedAt)}, expires ${formatDateTime(published.expiresAt)}`);
        return 0;
      }
      default: {
        const code = await runAnchorCommand(deps, sub, rest, ACTOR, (path) => readJwksFile(path));
        if (code === undefined) throw new UsageError(`unknown subcommand "${sub}"\n\n${USAGE}`);
        return code;
      }
    }
  } catch (error) {
    if (error instanceof UsageError || error instanceof AnchorUsageError || (error instanceof TypeError && 'code' in error && String(error.code).startsWith('ERR_PARSE_ARGS'))) {
      console.error(error.message);
      return 64;
    }
    if (error instanceof ElicenceError) {
      console.error(`${error.code}${error.field ? ` (${error.field})` : ''}: ${error.message}`);
      return 1;
    }
    throw error;
  } finally {
    opened?.close();
  }
}
