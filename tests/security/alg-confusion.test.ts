/**
 * Algorithm confusion and key substitution, against both verifiers: the service's
 * POST /credentials/verify and the offline `verify()`. Every forgery must be refused; the genuine
 * credential must pass (so the refusals are not an accident of a broken fixture).
 */
import type { JWK } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { generateSigningJwk, type JwsSigner, signerFromPrivateJwk } from '../../src/core/jws-sign.js';
import { createAuthority } from '../../src/services/authorities.js';
import { verify } from '../../verifier/index.js';
import { issueLicence, makeWorld, type World } from '../fixtures/world.js';
import { businessSubject, createTestContext } from '../helpers/app.js';
import { freshCreditCode } from '../shared/subjects.js';
import { forgeries } from './forgery.js';

async function attackerKey(): Promise<JwsSigner & { publicJwk: JWK }> {
  const { privateJwk, publicJwk } = await generateSigningJwk('EdDSA');
  return Object.assign(await signerFromPrivateJwk(privateJwk), { publicJwk });
}

describe('offline verify()', () => {
  let world: World;
  let genuine: string;
  beforeAll(async () => {
    world = await makeWorld();
    genuine = await issueLicence(world.hangzhou, { key: world.hangzhou.keys[1]!, issuedAt: Date.parse('2026-04-01T00:00:00Z') });
  });

  it('accepts the genuine licence', async () => {
    expect((await verify(genuine, world.bundle, world.options())).verdict).toBe('VALID');
  });

  it('refuses every forgery as INVALID or UNTRUSTED_ISSUER', async () => {
    const key = world.hangzhou.keys[1]!;
    const list = await forgeries(genuine, { ...key.publicJwk, kid: key.kid }, await attackerKey(), world.wenzhou.keys[0]!.signer);
    const outcomes = await Promise.all(list.map(async (f) => [f.name, (await verify(f.jws, world.bundle, world.options())).verdict] as const));
    expect(outcomes.filter(([, verdict]) => verdict !== 'INVALID' && verdict !== 'UNTRUSTED_ISSUER')).toEqual([]);
    expect(outcomes.length).toBeGreaterThanOrEqual(14);
  });

  it("refuses a trusted authority's key used under another trusted authority's name", async () => {
    // Wenzhou's key is on the trust list, but the licence says Hangzhou issued it.
    const swapped = await issueLicence(world.hangzhou, { key: world.wenzhou.keys[0]!, issuedAt: Date.parse('2026-04-01T00:00:00Z') });
    expect(['INVALID', 'UNTRUSTED_ISSUER']).toContain((await verify(swapped, world.bundle, world.options())).verdict);
  });
});

describe('POST /credentials/verify', () => {
  it('verifies the genuine credential and refuses every forgery', async () => {
    const ctx = await createTestContext();
    try {
      const issued = (await (await ctx.call('POST', '/v1/licences', { body: { type: 'BusinessLicence', subject: businessSubject() } })).json()) as { credential: string };
      const keys = (await (await ctx.call('GET', '/.well-known/jwks.json', { token: null })).json()) as { keys: (JWK & { kid: string })[] };
      const issuerKey = keys.keys[0]!;
      const other = await createAuthority(
        ctx.deps,
        { id: 'other-city', name: { zh: '宁波市市场监督管理局', en: 'Ningbo AMR' }, jurisdiction: '330200', creditCode: freshCreditCode() },
        'test',
      );
      const otherKeys = (await (await ctx.call('GET', `/authorities/${other.id}/did.json`, { token: null })).json()) as {
        verificationMethod?: { publicKeyJwk: { kid?: string }; id: string }[];
      };
      const otherKid = otherKeys.verificationMethod?.[0]?.id.split('#')[1];
      const otherSigner = otherKid ? await ctx.keys.signer(otherKid) : undefined;
      expect(otherSigner).toBeDefined();

      const check = async (jws: string) => {
        const response = await ctx.call('POST', '/credentials/verify', {
          token: null,
          body: { verifiableCredential: { '@context': 'https://www.w3.org/ns/credentials/v2', type: 'EnvelopedVerifiableCredential', id: `data:application/vc+jwt,${jws}` } },
        });
        if (response.status === 400) return { status: 400, verified: false, code: ((await response.json()) as { error: { code: string } }).error.code };
        return { status: response.status, ...((await response.json()) as { verified: boolean }) };
      };
      expect(await check(issued.credential)).toMatchObject({ status: 200, verified: true });
      const list = await forgeries(issued.credential, issuerKey, await attackerKey(), otherSigner);
      const accepted: string[] = [];
      for (const forgery of list) {
        const result = await check(forgery.jws);
        if (result.verified || (result.status !== 200 && result.status !== 400)) accepted.push(`${forgery.name}: ${JSON.stringify(result)}`);
      }
      expect(accepted).toEqual([]);
    } finally {
      ctx.close();
    }
  });
});
