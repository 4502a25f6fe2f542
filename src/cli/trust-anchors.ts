/**
 * `trust add-anchor | anchors | update-anchor | remove-anchor | refresh-anchor`: the register of peer
 * anchors (federation, docs/trust-anchor.md), the same verbs as `/v1/trust/anchors`, on the local
 * database. Registered peers appear in the next published trust list's `federatedAnchors`.
 */
import { parseArgs } from 'node:util';
import type { AppDeps } from '../app/deps.js';
import { formatDateTime, parseDateTimeField } from '../core/dates.js';
import { refreshAllPeers, refreshPeer } from '../services/trust/federation.js';
import { storedPieces } from '../services/trust/peer-pieces.js';
import { listPeers, type PeerKeySource, type PeerScopeInput, registerPeer, removePeer, updatePeer } from '../services/trust/peers.js';

export class AnchorUsageError extends Error {}

export const ANCHOR_USAGE = `  add-anchor --id <did:web> --name-zh <name> --name-en <name> --bundle-url <url>
             (--jwks-url <url> | --jwks-file <file>) --issuer-prefixes <did:web:host:,...>
             --jurisdictions <32,...> [--types <Type,...>] [--valid-from <date-time>]
                              federate a peer anchor within a scope
  anchors                     the peer anchors and how fresh their fetched pieces are
  update-anchor <did> [--name-zh .. --name-en ..] [--bundle-url ..] [--jwks-url .. | --jwks-file ..]
             [--issuer-prefixes .. --jurisdictions .. [--types ..]]
  remove-anchor <did>         stop federating it (it leaves the next list; its pieces are no longer served)
  refresh-anchor [<did>]      fetch, check and store its bundle now (every peer without <did>)`;

const OPTIONS = {
  id: { type: 'string' },
  'name-zh': { type: 'string' },
  'name-en': { type: 'string' },
  'bundle-url': { type: 'string' },
  'jwks-url': { type: 'string' },
  'jwks-file': { type: 'string' },
  'issuer-prefixes': { type: 'string' },
  jurisdictions: { type: 'string' },
  types: { type: 'string' },
  'valid-from': { type: 'string' },
} as const;

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; strict: true; allowPositionals: true }>>['values'];

const list = (value: string | undefined) =>
  value
    ?.split(',')
    .map((v) => v.trim())
    .filter(Boolean);

function keySource(values: Values, readJwksFile: (path: string) => { document: unknown }): PeerKeySource | undefined {
  if (values['jwks-url'] && values['jwks-file']) throw new AnchorUsageError('give --jwks-url or --jwks-file, not both');
  if (values['jwks-file']) return { keys: readJwksFile(values['jwks-file']).document };
  if (values['jwks-url']) return { jwksUrl: values['jwks-url'] };
  return undefined;
}

function scopeOf(values: Values): PeerScopeInput | undefined {
  const prefixes = list(values['issuer-prefixes']);
  const jurisdictions = list(values.jurisdictions);
  if (!prefixes && !jurisdictions && !values.types) return undefined;
  if (!prefixes || !jurisdictions) throw new AnchorUsageError('a scope needs --issuer-prefixes and --jurisdictions');
  const types = list(values.types);
  return { issuerPrefixes: prefixes, jurisdictions, ...(types ? { licenceTypes: types } : {}) };
}

function nameOf(values: Values): { zh: string; en: string } | undefined {
  if (!values['name-zh'] && !values['name-en']) return undefined;
  if (!values['name-zh'] || !values['name-en']) throw new AnchorUsageError('give both --name-zh and --name-en');
  return { zh: values['name-zh'], en: values['name-en'] };
}

/** Runs one anchor subcommand; undefined when `sub` is not one of them. */
export async function runAnchorCommand(
  deps: AppDeps,
  sub: string,
  args: string[],
  actor: string,
  readJwksFile: (path: string) => { document: unknown },
): Promise<number | undefined> {
  const parse = () => parseArgs({ args, options: OPTIONS, strict: true, allowPositionals: true });
  switch (sub) {
    case 'add-anchor': {
      const { values, positionals } = parse();
      if (positionals.length > 0) throw new AnchorUsageError(`unexpected ${positionals[0]}`);
      for (const required of ['id', 'bundle-url'] as const) if (!values[required]) throw new AnchorUsageError(`--${required} is required`);
      const name = nameOf(values);
      const keys = keySource(values, readJwksFile);
      const scope = scopeOf(values);
      if (!name || !keys || !scope) throw new AnchorUsageError('--name-zh, --name-en, --jwks-url or --jwks-file, --issuer-prefixes and --jurisdictions are required');
      const peer = await registerPeer(
        deps,
        {
          id: values.id!,
          name,
          keys,
          bundleUrl: values['bundle-url']!,
          scope,
          ...(values['valid-from'] ? { validFrom: parseDateTimeField(values['valid-from'], 'valid-from') } : {}),
        },
        actor,
      );
      console.log(
        `federated ${peer.id} within ${peer.scope.issuerPrefixes.join(' ')} / ${peer.scope.jurisdictions.join(',')}${peer.scope.licenceTypes ? ` / ${peer.scope.licenceTypes.join(',')}` : ''}`,
      );
      console.log('It appears in the next published list: npm run elicence -- trust publish');
      return 0;
    }
    case 'anchors': {
      const peers = await listPeers(deps.store.db);
      if (peers.length === 0) console.log('no peer anchors');
      for (const p of peers) {
        const pieces = await storedPieces(deps.store.db, { peerId: p.id });
        const trust = pieces.find((piece) => piece.key === `trust:${p.id}`);
        console.log(`${p.id}  ${p.name.zh} / ${p.name.en}`);
        console.log(
          `          scope: ${p.scope.issuerPrefixes.join(' ')}  jurisdictions ${p.scope.jurisdictions.join(',')}  types ${p.scope.licenceTypes?.join(',') ?? 'any listed'}`,
        );
        console.log(`          bundle: ${p.bundleUrl}  keys: ${p.keys.map((k) => k.jwk.kid).join(', ')}`);
        console.log(
          `          fetched: ${p.sync.lastSuccessAt === null ? 'never' : formatDateTime(p.sync.lastSuccessAt)}; trust list ${trust ? `#${trust.sequence} received ${formatDateTime(trust.receivedAt)}` : 'none'}; ${pieces.filter((x) => x.kind === 'status-list').length} status list(s)${p.sync.lastError ? `; last error: ${p.sync.lastError}` : ''}`,
        );
      }
      return 0;
    }
    case 'update-anchor': {
      const { values, positionals } = parse();
      if (positionals.length !== 1) throw new AnchorUsageError('usage: trust update-anchor <did> [options]');
      const name = nameOf(values);
      const keys = keySource(values, readJwksFile);
      const scope = scopeOf(values);
      const peer = await updatePeer(
        deps,
        positionals[0]!,
        {
          ...(name ? { name } : {}),
          ...(keys ? { keys } : {}),
          ...(scope ? { scope } : {}),
          ...(values['bundle-url'] ? { bundleUrl: values['bundle-url'] } : {}),
          ...(values['valid-from'] ? { validFrom: parseDateTimeField(values['valid-from'], 'valid-from') } : {}),
        },
        actor,
      );
      console.log(`updated ${peer.id}; effective in the next published list`);
      return 0;
    }
    case 'remove-anchor': {
      if (args.length !== 1) throw new AnchorUsageError('usage: trust remove-anchor <did>');
      await removePeer(deps, args[0]!, actor);
      console.log(`${args[0]} is no longer federated; effective in the next published list`);
      return 0;
    }
    case 'refresh-anchor': {
      if (args.length > 1) throw new AnchorUsageError('usage: trust refresh-anchor [<did>]');
      const reports = args.length === 1 ? [await refreshPeer(deps, args[0]!)] : await refreshAllPeers(deps);
      let failed = false;
      for (const r of reports) {
        failed ||= r.outcome === 'failed';
        console.log(
          `${r.peer}: ${r.outcome}${r.error ? ` (${r.error})` : ''}; stored ${r.stored.trustLists} trust list(s), ${r.stored.statusLists} status list(s); ${r.unchanged} unchanged, ${r.ignored} ignored, ${r.refused.length} refused`,
        );
        for (const why of r.refused) console.log(`  refused: ${why}`);
      }
      return failed ? 1 : 0;
    }
    default:
      return undefined;
  }
}
