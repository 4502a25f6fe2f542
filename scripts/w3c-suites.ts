/**
 * Adapters for running the W3C conformance harnesses against a local service (docs/results.md,
 * section 6). The harnesses themselves are fetched into a scratch folder, never into this repository.
 *
 *   npx tsx scripts/w3c-suites.ts proxy <service url> <token> <listen port>
 *     A loopback HTTP proxy for w3c/vc-data-model-2.0-test-suite: adds the agency token to
 *     /credentials/issue (the harness sends none) and makes the harness's example credentials
 *     licence-shaped: a claim-bearing subject becomes a business licence subject and an example type
 *     becomes BusinessLicence, while every other member the test set or removed is passed on as it is
 *     (so each negative test still carries its defect). Verify requests pass unchanged.
 *
 *   npx tsx scripts/w3c-suites.ts jose <service url> <token> issue|verify --input F --key K --feature X --output O
 *     The command line w3c/vc-jose-cose-test-suite runs in an implementation's container (through a
 *     `docker` shim on PATH): issue posts the input credential (licence-shaped as above) to
 *     /credentials/issue; verify posts a vc+jwt to /credentials/verify or a vp+jwt to
 *     /presentations/verify; the result (success / failure) goes to the output file.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';

const LICENCE_SUBJECT = {
  id: 'urn:uscc:91330106MA2CFX7K5Y',
  name: '杭州示例科技有限公司',
  entityType: '有限责任公司（自然人投资或控股）',
  legalRepresentative: '张三',
  registeredCapital: '500万元人民币',
  establishedOn: '2020-05-18',
  address: '浙江省杭州市西湖区文三路100号',
  businessScope: '一般项目：技术服务、技术开发。',
};

/** The harness's credential with a licence's type and subject, everything else as the test made it. */
export function licenceShaped(credential: unknown): unknown {
  if (typeof credential !== 'object' || credential === null || Array.isArray(credential)) return credential;
  const vc = { ...(credential as Record<string, unknown>) };
  if (Array.isArray(vc['type']) && vc['type'].includes('VerifiableCredential') && vc['type'].every((t) => typeof t === 'string')) {
    vc['type'] = ['VerifiableCredential', 'BusinessLicence'];
  }
  const subject = vc['credentialSubject'];
  // A subject with claims becomes a licence's; one the test made defective (no claims, several ids) stays.
  const claims = typeof subject === 'object' && subject !== null && !Array.isArray(subject) ? (subject as Record<string, unknown>) : undefined;
  if (claims && Object.keys(claims).length > 0 && (claims['id'] === undefined || typeof claims['id'] === 'string')) vc['credentialSubject'] = LICENCE_SUBJECT;
  return vc;
}

async function readBody(req: import('node:http').IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function proxy(service: string, token: string, port: number): void {
  createServer(async (req, res) => {
    let body = await readBody(req);
    const headers: Record<string, string> = { 'content-type': req.headers['content-type'] ?? 'application/json' };
    if (req.url === '/credentials/issue') {
      headers['authorization'] = `Bearer ${token}`;
      try {
        const parsed = JSON.parse(body) as { credential?: unknown };
        body = JSON.stringify({ ...parsed, credential: licenceShaped(parsed.credential) });
      } catch {
        // not JSON: the service answers it
      }
    }
    const answer = await fetch(`${service}${req.url}`, { method: req.method ?? 'POST', headers, ...(req.method === 'GET' ? {} : { body }) });
    let text = await answer.text();
    // The harness's plain-http client does not unwrap the VC API's { verifiableCredential } (its https
    // client does): hand it the credential itself.
    if (req.url === '/credentials/issue' && answer.status === 201) text = JSON.stringify((JSON.parse(text) as { verifiableCredential: unknown }).verifiableCredential);
    // The harness reads a successful issue as 200; the service answers 201 Created.
    res.writeHead(answer.status === 201 ? 200 : answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/json' });
    res.end(text);
  }).listen(port, '127.0.0.1', () => console.log(`w3c proxy on http://127.0.0.1:${port} -> ${service}`));
}

async function jose(service: string, token: string, args: string[]): Promise<void> {
  const { positionals, values } = parseArgs({
    args,
    allowPositionals: true,
    options: { input: { type: 'string' }, key: { type: 'string' }, feature: { type: 'string' }, output: { type: 'string' }, sd: { type: 'string' } },
  });
  const fn = positionals[0];
  const input = readFileSync(values.input!, 'utf8').trim();
  let ok = false;
  let detail: unknown;
  if (fn === 'issue') {
    const res = await fetch(`${service}/credentials/issue`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ credential: licenceShaped(JSON.parse(input)) }),
    });
    detail = await res.json();
    ok = res.status === 201;
  } else {
    const presentation = values.feature?.startsWith('presentation');
    const [path, key, prefix, type] = presentation
      ? ['/presentations/verify', 'verifiablePresentation', 'data:application/vp+jwt,', 'EnvelopedVerifiablePresentation']
      : ['/credentials/verify', 'verifiableCredential', 'data:application/vc+jwt,', 'EnvelopedVerifiableCredential'];
    const value = input.startsWith('{') ? JSON.parse(input) : { '@context': 'https://www.w3.org/ns/credentials/v2', type, id: `${prefix}${input}` };
    const res = await fetch(`${service}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ [key]: value }) });
    detail = await res.json();
    ok = res.status === 200 && (detail as { verified?: boolean }).verified === true;
  }
  writeFileSync(values.output!, JSON.stringify({ result: ok ? 'success' : 'failure', data: JSON.stringify(detail) }));
}

const [mode, service, token, ...rest] = process.argv.slice(2);
if (mode === 'proxy' && service && token) proxy(service.replace(/\/$/, ''), token, Number(rest[0] ?? 8788));
else if (mode === 'jose' && service && token) await jose(service.replace(/\/$/, ''), token, rest);
else {
  console.error('usage: npx tsx scripts/w3c-suites.ts proxy <service url> <token> <port> | jose <service url> <token> issue|verify --input F --output O ...');
  process.exitCode = 64;
}
