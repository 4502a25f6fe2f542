/**
 * `npm run elicence -- token create [--authority <id>] [--name <name>] [--actions a,b] [--types T,T]`:
 * creates an agency token in the local database (same settings as `npm start`) and prints it once. For
 * the operator who lost the token printed at first start: tokens are stored as hashes only, so a lost
 * one cannot be shown again; make a new one here and revoke the old one (DELETE /v1/tokens/{id}).
 * Exit 0 created, 1 refused, 64 usage.
 */
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { systemClock } from '../app/deps.js';
import { loadNodeConfig } from '../node/config.js';
import { createFileKeyStore } from '../node/file-key-store.js';
import { openSqliteStore } from '../node/sqlite-store.js';
import { listAuthorities } from '../services/authorities.js';
import { ACTIONS, type Action, createToken } from '../services/tokens.js';

const USAGE = `usage: npm run elicence -- token create [--authority <id>] [--name <name>] [--actions ${ACTIONS.join(',')}] [--types <Type,Type>]
  Creates an agency token in this machine's database (the one npm start uses) and prints it once.
  Default: the first authority, every scope, every licence type.`;

export interface TokenCliIo {
  out(line: string): void;
  err(line: string): void;
}

const consoleIo: TokenCliIo = { out: (line) => console.log(line), err: (line) => console.error(line) };

const list = (value: string | undefined) =>
  value
    ?.split(',')
    .map((v) => v.trim())
    .filter(Boolean);

export async function run(args: string[], _command = 'token', io: TokenCliIo = consoleIo): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  function parse() {
    return parseArgs({
      args,
      allowPositionals: true,
      strict: true,
      options: { authority: { type: 'string' }, name: { type: 'string' }, actions: { type: 'string' }, types: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    });
  }
  try {
    parsed = parse();
  } catch (error) {
    io.err(`${(error as Error).message}\n${USAGE}`);
    return 64;
  }
  if (parsed.values.help) {
    io.out(USAGE);
    return 0;
  }
  if (parsed.positionals.length !== 1 || parsed.positionals[0] !== 'create') {
    io.err(USAGE);
    return 64;
  }
  const actions = list(parsed.values.actions) ?? [...ACTIONS];
  const unknown = actions.find((a) => !(ACTIONS as readonly string[]).includes(a));
  if (unknown !== undefined || actions.length === 0) {
    io.err(`--actions: ${unknown === undefined ? 'name at least one' : `unknown action "${unknown}"`} (${ACTIONS.join(', ')})\n${USAGE}`);
    return 64;
  }
  const config = loadNodeConfig();
  if (!existsSync(config.databaseFile)) {
    io.err(`no database at ${config.databaseFile}: start the service once (npm start), or set DATA_DIR as npm start has it`);
    return 1;
  }
  const store = openSqliteStore(config.databaseFile);
  try {
    const authorities = await listAuthorities(store.db);
    const authority = parsed.values.authority === undefined ? authorities[0] : authorities.find((a) => a.id === parsed.values.authority);
    if (!authority) {
      io.err(`no authority ${parsed.values.authority ?? ''} in ${config.databaseFile} (have: ${authorities.map((a) => a.id).join(', ') || 'none'})`);
      return 1;
    }
    const types = list(parsed.values.types);
    const deps = { store, keys: createFileKeyStore(config.keysDir), clock: systemClock, config: config.app };
    const created = await createToken(
      deps,
      {
        authorityId: authority.id,
        name: parsed.values.name ?? `cli ${new Date().toISOString()}`,
        actions: actions as Action[],
        licenceTypes: types && types.length > 0 ? types : null,
      },
      'cli',
    );
    io.out(`token for ${authority.id} (${created.actions.join(', ')}${created.licenceTypes ? `; types ${created.licenceTypes.join(', ')}` : ''}), id ${created.id}, shown once:`);
    io.out(created.token);
    return 0;
  } finally {
    store.close();
  }
}
