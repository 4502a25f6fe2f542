/**
 * The shared HTTP suite: one set of cases run against the Node entry (better-sqlite3) and the Worker
 * entry inside workerd (D1). Only HTTP goes in and out, so a case passing on both means the routes
 * behave the same on both runtimes. Cases create their own licences and never assume an empty database.
 */
import { compactVerify, createLocalJWKSet, decodeProtectedHeader, type JSONWebKeySet } from 'jose';
import { describe, expect, test } from 'vitest';
import { licenceIdentifierProblem, parseLicenceIdentifier } from '../../src/core/licence-identifier.js';
import { decodeStatusList, parseStatusListCredential } from '../../src/core/status-list.js';
import { openStatusReasons } from '../../src/core/status-reasons.js';
import { businessSubject } from './subjects.js';

const formatDate = (date: Date): string => date.toISOString().slice(0, 10);

import type { SharedTarget } from './target.js';

interface LicenceBody {
  id: string;
  licenceIdentifier: string | null;
  validUntil: string | null;
  status: string;
  statusReason: string | null;
  credential: string;
  holder: { creditCode: string };
  credentialStatus: { purpose: 'revocation' | 'suspension'; statusListCredential: string; statusListIndex: number }[];
}

async function expectError(res: Response, status: number, code: string): Promise<void> {
  expect(res.status).toBe(status);
  const body = (await res.json()) as { error: { code: string; message: string } };
  expect(body.error.code).toBe(code);
  expect(typeof body.error.message).toBe('string');
}

export function sharedSuite(target: () => SharedTarget): void {
  const t = () => target();

  async function jwks(): Promise<JSONWebKeySet> {
    const res = await t().request('GET', '/.well-known/jwks.json', { token: null });
    expect(res.status).toBe(200);
    return (await res.json()) as JSONWebKeySet;
  }

  async function issue(subject = businessSubject(), headers: Record<string, string> = {}): Promise<{ res: Response; body: LicenceBody }> {
    const res = await t().request('POST', '/v1/licences', { body: { type: 'BusinessLicence', subject }, headers });
    const body = (await res.json()) as LicenceBody;
    expect(res.status, JSON.stringify(body)).toBe(201);
    return { res, body };
  }

  /** The path of a licence's status list and its index, for one purpose. */
  function slot(licence: LicenceBody, purpose: 'revocation' | 'suspension') {
    const entry = licence.credentialStatus.find((e) => e.purpose === purpose)!;
    expect(entry.statusListCredential.startsWith(`${t().publicUrl}/status/`)).toBe(true);
    return { path: entry.statusListCredential.slice(t().publicUrl.length), index: entry.statusListIndex };
  }

  async function statusBit(licence: LicenceBody, purpose: 'revocation' | 'suspension'): Promise<boolean> {
    const { path, index } = slot(licence, purpose);
    const res = await t().request('GET', path, { token: null, headers: { Accept: 'application/json' } });
    expect(res.status).toBe(200);
    const credential = (await res.json()) as { type: string[]; credentialSubject: { statusPurpose: string; encodedList: string } };
    expect(credential.type).toContain('BitstringStatusListCredential');
    expect(credential.credentialSubject.statusPurpose).toBe(purpose);
    return (await decodeStatusList(credential.credentialSubject.encodedList)).get(index);
  }

  const change = (id: string, action: 'suspend' | 'reinstate' | 'revoke', reason: string) =>
    t().request('POST', `/v1/licences/${id}/${action}`, { body: { reason, note: 'shared suite' } });

  describe('keys', () => {
    test('JWKS publishes the authority key, public members only, cacheable at the edge', async () => {
      const res = await t().request('GET', '/.well-known/jwks.json', { token: null });
      expect(res.status).toBe(200);
      expect(res.headers.get('cache-control')).toMatch(/public/);
      const { keys } = (await res.json()) as JSONWebKeySet;
      expect(keys.length).toBeGreaterThan(0);
      for (const key of keys) {
        expect(key).toMatchObject({ kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA', use: 'sig' });
        expect(key.kid).toMatch(/^[A-Za-z0-9_-]{43}$/);
        expect(key).not.toHaveProperty('d');
      }
    });
  });

  describe('issue and read', () => {
    test('issues a licence whose vc+jwt verifies with the published JWKS', async () => {
      const subject = businessSubject();
      const { body } = await issue(subject);
      expect(body).toMatchObject({ status: 'active', holder: { creditCode: subject['creditCode'] } });
      expect(decodeProtectedHeader(body.credential)).toMatchObject({ alg: 'EdDSA', typ: 'vc+jwt', cty: 'vc' });
      const { payload } = await compactVerify(body.credential, createLocalJWKSet(await jwks()));
      const credential = JSON.parse(new TextDecoder().decode(payload)) as Record<string, unknown>;
      expect(credential['id']).toBe(`urn:uuid:${body.id}`);
      expect(credential['credentialSubject']).toMatchObject({ id: `urn:uscc:${subject['creditCode']}`, name: '杭州示例科技有限公司' });
    });

    test('reads a licence back, lists it by holder, and hides what is not there', async () => {
      const { body } = await issue();
      const read = await t().request('GET', `/v1/licences/${body.id}`);
      expect(read.status).toBe(200);
      expect(((await read.json()) as LicenceBody).credential).toBe(body.credential);
      const list = await t().request('GET', `/v1/licences?holder=${body.holder.creditCode}`);
      expect(list.status).toBe(200);
      expect(((await list.json()) as { items: LicenceBody[] }).items.map((l) => l.id)).toEqual([body.id]);
      await expectError(await t().request('GET', '/v1/licences/01900000-0000-7000-8000-000000000000'), 404, 'ERR_NOT_FOUND');
      await expectError(await t().request('GET', `/v1/licences/${body.id}`, { token: null }), 401, 'ERR_UNAUTHENTICATED');
    });

    test('refuses an invalid subject with a typed error and issues nothing', async () => {
      const subject = { ...businessSubject(), creditCode: '91330106MA2CFX7K5Z' };
      await expectError(await t().request('POST', '/v1/licences', { body: { type: 'BusinessLicence', subject } }), 400, 'ERR_CREDIT_CODE');
      const list = await t().request('GET', `/v1/licences?holder=${subject.creditCode}`);
      expect(((await list.json()) as { items: unknown[] }).items).toEqual([]);
    });

    test('an Idempotency-Key replays the same licence', async () => {
      const subject = businessSubject();
      const key = `shared-${subject['creditCode']}`;
      const first = await issue(subject, { 'Idempotency-Key': key });
      const second = await issue(subject, { 'Idempotency-Key': key });
      expect(second.res.headers.get('idempotency-replayed')).toBe('true');
      expect(second.body.id).toBe(first.body.id);
    });

    test('a batch of 12 issues 12 licences with distinct status slots, in one commit', async () => {
      const items = Array.from({ length: 12 }, () => ({ type: 'BusinessLicence', subject: businessSubject() }));
      const res = await t().request('POST', '/v1/licences/batch', { body: { items } });
      const body = (await res.json()) as { items: LicenceBody[] };
      expect(res.status, JSON.stringify(body).slice(0, 400)).toBe(201);
      expect(body.items).toHaveLength(12);
      for (const purpose of ['revocation', 'suspension'] as const) {
        expect(new Set(body.items.map((l) => JSON.stringify(slot(l, purpose)))).size).toBe(12);
      }
    });
  });

  describe('lifecycle and status lists', () => {
    test('suspend sets the suspension bit; reinstate clears it', async () => {
      const { body } = await issue();
      expect(await statusBit(body, 'suspension')).toBe(false);
      const suspended = await change(body.id, 'suspend', 'investigation');
      expect(suspended.status).toBe(200);
      expect(((await suspended.json()) as LicenceBody).status).toBe('suspended');
      expect(await statusBit(body, 'suspension')).toBe(true);
      const reinstated = await change(body.id, 'reinstate', 'investigation_closed');
      expect(reinstated.status).toBe(200);
      expect(await statusBit(body, 'suspension')).toBe(false);
    });

    test('revoke is final: the revocation bit is set and a second revoke is 409', async () => {
      const { body } = await issue();
      const revoked = await change(body.id, 'revoke', 'cancelled');
      expect(revoked.status).toBe(200);
      expect(((await revoked.json()) as LicenceBody).status).toBe('revoked');
      expect(await statusBit(body, 'revocation')).toBe(true);
      await expectError(await change(body.id, 'revoke', 'cancelled'), 409, 'ERR_ILLEGAL_TRANSITION');
      await expectError(await change(body.id, 'reinstate', 'remedied'), 409, 'ERR_ILLEGAL_TRANSITION');
    });

    test('the signed status list verifies with the JWKS and answers If-None-Match with 304', async () => {
      const { body } = await issue();
      const { path } = slot(body, 'revocation');
      const res = await t().request('GET', path, { token: null, headers: { Accept: 'application/vc+jwt' } });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^application\/vc\+jwt/);
      const etag = res.headers.get('etag');
      expect(etag).toBeTruthy();
      const { protectedHeader } = await compactVerify(await res.text(), createLocalJWKSet(await jwks()));
      expect(protectedHeader).toMatchObject({ typ: 'vc+jwt', alg: 'EdDSA' });
      const again = await t().request('GET', path, { token: null, headers: { Accept: 'application/vc+jwt', 'If-None-Match': etag! } });
      expect(again.status).toBe(304);
      await expectError(await t().request('GET', '/status/no-such/revocation/1', { token: null }), 404, 'ERR_NOT_FOUND');
    });
  });

  describe('one active licence per holder, and why a licence was revoked', () => {
    test('concurrent issues of a business licence for one holder: exactly one wins, the others are 409 naming it', async () => {
      const subject = businessSubject();
      const responses = await Promise.all(
        Array.from({ length: 8 }, (_, i) => t().request('POST', '/v1/licences', { body: { type: 'BusinessLicence', subject: { ...subject, name: `并发${i}` } } })),
      );
      const statuses = responses.map((r) => r.status);
      expect(
        statuses.filter((s) => s === 201),
        JSON.stringify(statuses),
      ).toHaveLength(1);
      const winner = (await responses.find((r) => r.status === 201)!.json()) as LicenceBody;
      for (const res of responses.filter((r) => r.status !== 201)) {
        expect(res.status).toBe(409);
        const { error } = (await res.json()) as { error: { code: string; message: string } };
        expect(error.code).toBe('ERR_DUPLICATE_ACTIVE');
        expect(error.message).toContain(winner.id);
      }
      const list = (await (await t().request('GET', `/v1/licences?holder=${subject['creditCode']}`)).json()) as { items: LicenceBody[] };
      expect(list.items.map((l) => l.id)).toEqual([winner.id]);
    });

    test('a revocation alias is stored as its code and published in the signed reasons document beside the list', async () => {
      const { body } = await issue();
      const revoked = await change(body.id, 'revoke', 'fraud');
      expect(((await revoked.json()) as LicenceBody).statusReason).toBe('rescinded');
      const { path, index } = slot(body, 'revocation');
      const keys = (await jwks()).keys;
      const listJws = await (await t().request('GET', path, { token: null, headers: { Accept: 'application/vc+jwt' } })).text();
      const { payload } = await compactVerify(listJws, createLocalJWKSet({ keys }));
      const list = await parseStatusListCredential(JSON.parse(new TextDecoder().decode(payload)));
      expect(list.bits.get(index)).toBe(true);
      const res = await t().request('GET', `${path}/reasons`, { token: null });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^application\/status-reasons\+jwt/);
      const opened = await openStatusReasons(await res.text(), list, keys);
      expect(opened.ok && opened.reasons.reasonAt(index)).toBe('rescinded');
    });
  });

  describe('licence identifiers (GB/T 36904), base metadata (GB/T 36903), licences without expiry', () => {
    const payloadOf = (jws: string) =>
      JSON.parse(new TextDecoder().decode(Uint8Array.from(atob(jws.split('.')[1]!.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0))));

    test('concurrent issues get distinct identifiers of the next serials, signed in the credential right after its id', async () => {
      const responses = await Promise.all(Array.from({ length: 8 }, () => t().request('POST', '/v1/licences', { body: { type: 'BusinessLicence', subject: businessSubject() } })));
      expect(responses.map((r) => r.status)).toEqual(Array(8).fill(201));
      const bodies = await Promise.all(responses.map(async (r) => (await r.json()) as LicenceBody));
      const identifiers = bodies.map((b) => b.licenceIdentifier!);
      expect(new Set(identifiers).size).toBe(8);
      for (const [i, identifier] of identifiers.entries()) {
        expect(licenceIdentifierProblem(identifier)).toBeUndefined();
        const parts = parseLicenceIdentifier(identifier, 'identifier');
        // The development authority's credit code (npm start, wrangler.toml), the built-in business licence code.
        expect(parts).toMatchObject({ typeCode: 'YYZZ', authorityCode: '11330100DC00000011', version: 1 });
        const credential = payloadOf(bodies[i]!.credential);
        expect(Object.keys(credential).slice(0, 3)).toEqual(['@context', 'id', 'licenceIdentifier']);
        expect(credential.licenceIdentifier).toBe(identifier);
      }
      const serials = identifiers.map((id) => parseLicenceIdentifier(id, 'identifier').serial).sort((a, b) => a - b);
      expect(serials.at(-1)! - serials[0]!).toBe(7);
      // Found by its identifier; a mistyped one is refused, not "not found".
      const found = (await (await t().request('GET', `/v1/licences?identifier=${identifiers[0]}`)).json()) as { items: LicenceBody[] };
      expect(found.items.map((l) => l.id)).toEqual([bodies[0]!.id]);
      const typo = `${identifiers[0]!.slice(0, 10)}${identifiers[0]![10] === '0' ? '1' : '0'}${identifiers[0]!.slice(11)}`;
      await expectError(await t().request('GET', `/v1/licences?identifier=${typo}`), 400, 'ERR_LICENCE_IDENTIFIER');
    });

    test('a licence without expiry (validUntil: null): no validUntil signed, active, 长期 in its metadata, verified online; an amendment keeps the identifier at the next version', async () => {
      const subject = businessSubject();
      const res = await t().request('POST', '/v1/licences', { body: { type: 'BusinessLicence', subject, validFrom: '2026-01-01', validUntil: null } });
      expect(res.status).toBe(201);
      const body = (await res.json()) as LicenceBody;
      expect(body.validUntil).toBeNull();
      expect(body.status).toBe('active');
      expect('validUntil' in payloadOf(body.credential)).toBe(false);
      const active = (await (await t().request('GET', `/v1/licences?holder=${subject['creditCode']}&status=active`)).json()) as { items: LicenceBody[] };
      expect(active.items.map((l) => l.id)).toEqual([body.id]);
      const expired = (await (await t().request('GET', `/v1/licences?holder=${subject['creditCode']}&status=expired`)).json()) as { items: LicenceBody[] };
      expect(expired.items).toEqual([]);

      const metadata = (await (await t().request('GET', `/v1/licences/${body.id}/metadata`)).json()) as Record<string, unknown>;
      expect(metadata).toMatchObject({
        name: '营业执照',
        typeCode: 'YYZZ',
        number: subject['creditCode'],
        identifier: body.licenceIdentifier,
        issuerName: '开发市市场监督管理局',
        issuerCode: '11330100DC00000011',
        holderName: subject['name'],
        holderCodeType: '001',
        holderCode: subject['creditCode'],
        validFrom: '2026-01-01',
        validTo: '长期',
      });

      const verified = await t().request('POST', '/credentials/verify', {
        token: null,
        body: {
          verifiableCredential: { '@context': ['https://www.w3.org/ns/credentials/v2'], type: 'EnvelopedVerifiableCredential', id: `data:application/vc+jwt,${body.credential}` },
        },
      });
      expect(verified.status).toBe(200);
      expect(await verified.json()).toMatchObject({ verified: true, errors: [] });

      const amended = await t().request('POST', `/v1/licences/${body.id}/amend`, { body: { subjectPatch: { address: '浙江省杭州市西湖区文三路200号' } } });
      expect(amended.status).toBe(201);
      const next = (await amended.json()) as LicenceBody;
      expect(next.validUntil).toBeNull();
      const [before, after] = [parseLicenceIdentifier(body.licenceIdentifier, 'a'), parseLicenceIdentifier(next.licenceIdentifier, 'b')];
      expect(after).toEqual({ ...before, version: 2 });
      for (const licence of [body, next]) {
        const found = (await (await t().request('GET', `/v1/licences?identifier=${licence.licenceIdentifier}`)).json()) as { items: LicenceBody[] };
        expect(found.items.map((l) => l.id)).toEqual([licence.id]);
      }
    });
  });

  describe('holder access (docs/holder-app.md)', () => {
    test('a holder code gives a read-only session over its own licences; rotation ends it', async () => {
      const { body: mine } = await issue();
      const { body: other } = await issue();
      const access = async () => {
        const res = await t().request('POST', `/v1/licences/${mine.id}/holder-access`);
        expect(res.status).toBe(201);
        return (await res.json()) as { code: string; link: string; generation: number };
      };
      const exchange = (code: string) => t().request('POST', '/holder/v1/session', { token: null, body: { code } });
      const first = await access();
      expect(first.link).toBe(`${t().publicUrl}/holder/#c=${encodeURIComponent(first.code)}`);
      const session = await exchange(first.code);
      expect(session.status).toBe(201);
      const { token } = (await session.json()) as { token: string };
      const list = await t().request('GET', '/holder/v1/licences', { token });
      expect(list.status).toBe(200);
      const items = ((await list.json()) as { items: { id: string; validity: { from: string } }[] }).items;
      expect(items.map((i) => i.id)).toEqual([mine.id]);
      const png = await t().request('GET', `/holder/v1/licences/${mine.id}/qr.png`, { token });
      expect(png.headers.get('content-type')).toBe('image/png');
      expect((await png.arrayBuffer()).byteLength).toBeGreaterThan(100);
      await expectError(await t().request('GET', `/holder/v1/licences/${other.id}`, { token }), 404, 'ERR_NOT_FOUND');
      await expectError(await t().request('GET', `/v1/licences/${mine.id}`, { token }), 401, 'ERR_UNAUTHENTICATED');
      const second = await access();
      expect(second.generation).toBe(first.generation + 1);
      await expectError(await t().request('GET', '/holder/v1/licences', { token }), 401, 'ERR_UNAUTHENTICATED');
      await expectError(await exchange(first.code), 401, 'ERR_UNAUTHENTICATED');
      expect((await exchange(second.code)).status).toBe(201);
    });
  });

  describe('W3C VC API', () => {
    test('issues an enveloped credential, verifies it, and reports it revoked after revocation', async () => {
      const { creditCode, ...fields } = businessSubject();
      const credential = {
        '@context': ['https://www.w3.org/ns/credentials/v2'],
        type: ['VerifiableCredential', 'BusinessLicence'],
        credentialSubject: { id: `urn:uscc:${String(creditCode)}`, ...fields },
      };
      const issued = await t().request('POST', '/credentials/issue', { body: { credential } });
      expect(issued.status).toBe(201);
      const { verifiableCredential } = (await issued.json()) as { verifiableCredential: { type: string; id: string } };
      expect(verifiableCredential.type).toBe('EnvelopedVerifiableCredential');
      expect(verifiableCredential.id.startsWith('data:application/vc+jwt,')).toBe(true);

      const verify = async (vc: unknown) => {
        const res = await t().request('POST', '/credentials/verify', { token: null, body: { verifiableCredential: vc } });
        expect(res.status).toBe(200);
        return (await res.json()) as { verified: boolean; errors: { code: string }[] };
      };
      expect(await verify(verifiableCredential)).toMatchObject({ verified: true, errors: [] });

      const jws = verifiableCredential.id.slice('data:application/vc+jwt,'.length);
      const id = (JSON.parse(new TextDecoder().decode((await compactVerify(jws, createLocalJWKSet(await jwks()))).payload)) as { id: string }).id.slice('urn:uuid:'.length);
      expect((await change(id, 'revoke', 'cancelled')).status).toBe(200);
      const after = await verify(verifiableCredential);
      expect(after.verified).toBe(false);
      expect(after.errors.map((e) => e.code)).toContain('ERR_REVOKED');

      const [h, p, s] = jws.split('.');
      const tampered = `${h}.${p}.${s!.startsWith('A') ? 'B' : 'A'}${s!.slice(1)}`;
      expect((await verify({ ...verifiableCredential, id: `data:application/vc+jwt,${tampered}` })).verified).toBe(false);
    });
  });
  describe('holder devices, bound copies and agent authorisations (docs/credential-format.md)', () => {
    async function ownBit(entry: { statusListCredential: string; statusListIndex: number }): Promise<boolean> {
      const res = await t().request('GET', entry.statusListCredential.slice(t().publicUrl.length), { token: null, headers: { Accept: 'application/json' } });
      expect(res.status).toBe(200);
      const credential = (await res.json()) as { credentialSubject: { encodedList: string } };
      return (await decodeStatusList(credential.credentialSubject.encodedList)).get(entry.statusListIndex);
    }
    async function p256(): Promise<Record<string, string>> {
      const pair = (await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify'])) as CryptoKeyPair;
      const jwk = (await crypto.subtle.exportKey('jwk', pair.publicKey)) as Record<string, string>;
      return { kty: 'EC', crv: 'P-256', x: jwk['x']!, y: jwk['y']! };
    }

    test('a device gets a bound copy with its own slot; removing it sets that bit only; an agent authorisation is issued and revoked', async () => {
      const { body: licence } = await issue();
      const creditCode = licence.holder.creditCode;
      const registered = await t().request('POST', `/v1/holders/${creditCode}/devices`, { body: { jwk: await p256() } });
      const { device, boundCopies } = (await registered.json()) as {
        device: { id: string };
        boundCopies: { credential: string; ownStatus: { statusListCredential: string; statusListIndex: number } }[];
      };
      expect(registered.status).toBe(201);
      const keys = createLocalJWKSet(await jwks());
      const copy = boundCopies[0]!;
      const { payload } = await compactVerify(copy.credential, keys, { algorithms: [String(decodeProtectedHeader(copy.credential).alg)] });
      const bound = JSON.parse(new TextDecoder().decode(payload)) as { cnf: unknown; credentialStatus: unknown[]; iat: number };
      expect(bound.credentialStatus).toHaveLength(3);
      expect(bound.cnf).toBeDefined();
      expect((await t().request('DELETE', `/v1/holders/${creditCode}/devices/${device.id}`)).status).toBe(200);
      expect(await ownBit(copy.ownStatus)).toBe(true);
      expect(await statusBit(licence, 'revocation')).toBe(false);

      const authorised = await t().request('POST', `/v1/licences/${licence.id}/agent-authorisations`, {
        body: {
          agent: { name: '李明', idNumberMasked: '3301**********1234' },
          matters: 'all',
          validUntil: formatDate(new Date((bound.iat + 100 * 86_400) * 1000)),
          agentJwk: await p256(),
        },
      });
      const auth = (await authorised.json()) as { id: string; ownStatus: { statusListCredential: string; statusListIndex: number } };
      expect(authorised.status, JSON.stringify(auth)).toBe(201);
      expect((await t().request('POST', `/v1/licences/${licence.id}/agent-authorisations/${auth.id}/revoke`)).status).toBe(200);
      expect(await ownBit(auth.ownStatus)).toBe(true);
      expect(await statusBit(licence, 'revocation')).toBe(false);
      await expectError(
        await t().request('POST', `/v1/licences/${licence.id}/agent-authorisations`, {
          body: { agent: { name: '李明', idNumberMasked: '3301**********1234' }, matters: 'all', validUntil: '2099-01-01', agentJwk: await p256() },
        }),
        400,
        'ERR_VALIDITY_WINDOW',
      );
    });
  });
}
