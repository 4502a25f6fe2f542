/**
 * `npm run elicence -- audit verify [--data-dir DIR] [--expect-head SEQ:HASH]`: re-derives the hash chain
 * of the audit log in the Node database and reports the first entry that does not fit. A chain cannot
 * show that its newest entries were cut off; `--expect-head` checks that a head recorded earlier (printed
 * here, or `GET /v1/audit/head`, kept outside this database) is still in the chain with the same hash.
 * Exit 0 intact, 1 broken, 64 usage.
 */
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { eq } from 'drizzle-orm';
import { auditLog } from '../db/schema.js';
import { envFileOf, loadNodeConfig, nodeEnvironment } from '../node/config.js';
import { openSqliteStore } from '../node/sqlite-store.js';
import { verifyAuditChain } from '../services/audit.js';

const USAGE =
  'usage: npm run elicence -- audit verify [--data-dir DIR] [--expect-head SEQ:HASH]   (data dir default: as for npm start: DATA_DIR from the environment or .env, else data/ in the project)';
const HEAD = /^(\d{1,15}):([0-9a-f]{64})$/;

export interface AuditCliIo {
  out(line: string): void;
  err(line: string): void;
}

const consoleIo: AuditCliIo = { out: (line) => console.log(line), err: (line) => console.error(line) };

const parseAuditArgs = (args: string[]) =>
  parseArgs({ args, allowPositionals: true, options: { 'data-dir': { type: 'string' }, 'expect-head': { type: 'string' }, help: { type: 'boolean', short: 'h' } } });

export async function run(args: string[], _command = 'audit', io: AuditCliIo = consoleIo): Promise<number> {
  let parsed: ReturnType<typeof parseAuditArgs>;
  try {
    parsed = parseAuditArgs(args);
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
  const expected = parsed.values['expect-head'];
  const expectedHead = expected === undefined ? undefined : HEAD.exec(expected);
  if (expected !== undefined && !expectedHead) {
    io.err(`--expect-head must be SEQ:HASH (a sequence number and 64 hex digits)\n${USAGE}`);
    return 64;
  }
  const dataDir = parsed.values['data-dir'];
  let databaseFile: string;
  try {
    const env = nodeEnvironment();
    databaseFile = loadNodeConfig(dataDir === undefined ? env : { ...env, DATA_DIR: dataDir }).databaseFile;
  } catch (error) {
    io.err((error as Error).message);
    return 64;
  }
  // Never create an empty database by accident: verifying nothing would look like success.
  if (!existsSync(databaseFile)) {
    io.err(`no database at ${databaseFile} (npm start and this command read DATA_DIR from the environment, then ${envFileOf()}; or pass --data-dir)`);
    return 1;
  }
  const store = openSqliteStore(databaseFile);
  try {
    const result = await verifyAuditChain(store.db);
    if (result.ok) {
      if (expectedHead) {
        const seq = Number(expectedHead[1]);
        const [entry] = await store.db.select({ hash: auditLog.hash }).from(auditLog).where(eq(auditLog.seq, seq));
        if (!entry || entry.hash !== expectedHead[2]) {
          io.err(
            `audit log BROKEN: the recorded head #${seq} is ${entry ? 'not the entry now at that position' : 'gone'}: entries were removed or the log rewritten (${result.entries} entries now; ${databaseFile})`,
          );
          return 1;
        }
      }
      io.out(`audit log intact: ${result.entries} entries, head ${result.head.seq}:${result.head.hash} (${databaseFile})`);
      return 0;
    }
    io.err(`audit log BROKEN at entry #${result.firstBrokenSeq}: ${result.reason} (${result.entries} entries before it verify; ${databaseFile})`);
    return 1;
  } finally {
    store.close();
  }
}
