/**
 * `npm run elicence -- audit verify [--data-dir DIR]`: re-derives the hash chain of the audit log in
 * the Node database and reports the first entry that does not fit. Exit 0 intact, 1 broken, 64 usage.
 */
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { verifyAuditChain } from '../../services/audit.js';
import { loadNodeConfig } from '../config.js';
import { openSqliteStore } from '../sqlite-store.js';

const USAGE = 'usage: npm run elicence -- audit verify [--data-dir DIR]   (default: $DATA_DIR or ./data)';

export interface AuditCliIo {
  out(line: string): void;
  err(line: string): void;
}

const consoleIo: AuditCliIo = { out: (line) => console.log(line), err: (line) => console.error(line) };

export async function run(args: string[], _command = 'audit', io: AuditCliIo = consoleIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args, allowPositionals: true, options: { 'data-dir': { type: 'string' }, help: { type: 'boolean', short: 'h' } } });
  } catch (error) {
    io.err(`${(error as Error).message}\n${USAGE}`);
    return 64;
  }
  if (parsed.values.help) {
    io.out(USAGE);
    return 0;
  }
  if (parsed.positionals.length !== 1 || parsed.positionals[0] !== 'verify') {
    io.err(USAGE);
    return 64;
  }
  const dataDir = parsed.values['data-dir'];
  let databaseFile: string;
  try {
    databaseFile = loadNodeConfig(dataDir === undefined ? process.env : { ...process.env, DATA_DIR: dataDir }).databaseFile;
  } catch (error) {
    io.err((error as Error).message);
    return 64;
  }
  // Never create an empty database by accident: verifying nothing would look like success.
  if (!existsSync(databaseFile)) {
    io.err(`no database at ${databaseFile}`);
    return 1;
  }
  const store = openSqliteStore(databaseFile);
  try {
    const result = await verifyAuditChain(store.db);
    if (result.ok) {
      io.out(`audit log intact: ${result.entries} entries, head #${result.head.seq} ${result.head.hash} (${databaseFile})`);
      return 0;
    }
    io.err(`audit log BROKEN at entry #${result.firstBrokenSeq}: ${result.reason} (${result.entries} entries before it verify; ${databaseFile})`);
    return 1;
  } finally {
    store.close();
  }
}
