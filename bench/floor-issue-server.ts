/**
 * The floor for issuance: a bare node:http server that parses the body, signs with node:crypto
 * Ed25519 and inserts one row in SQLite, durable before it answers like the service: WAL with
 * synchronous=FULL, the plain way (the service syncs the WAL itself, once per group commit).
 */

import { generateKeyPairSync, randomUUID, sign } from 'node:crypto';
import { createServer } from 'node:http';
import { join } from 'node:path';
import Database from 'better-sqlite3';

const db = new Database(join(process.env['DATA_DIR'] ?? '/tmp', 'floor.db'));
db.pragma('journal_mode = WAL');
db.pragma('synchronous = FULL');
db.exec('create table if not exists licences (id text primary key, jws text not null)');
const insert = db.prepare('insert into licences (id, jws) values (?, ?)');
const { privateKey } = generateKeyPairSync('ed25519');
const header = Buffer.from(JSON.stringify({ alg: 'EdDSA', typ: 'vc+jwt' })).toString('base64url');

createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
    const id = randomUUID();
    const signingInput = `${header}.${Buffer.from(JSON.stringify({ id, ...body })).toString('base64url')}`;
    const jws = `${signingInput}.${sign(null, Buffer.from(signingInput), privateKey).toString('base64url')}`;
    insert.run(id, jws);
    res.writeHead(201, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ id, credential: jws }));
  });
}).listen(0, '127.0.0.1', function (this: import('node:net').Server) {
  const address = this.address() as import('node:net').AddressInfo;
  console.log(`listening on http://127.0.0.1:${address.port}`);
});
