/** Public key discovery: the JWKS of every issuing authority here, and did:web documents. */
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import type { JWK } from 'jose';
import { ElicenceError } from '../../core/errors.js';
import { didWebFor, findAuthority, listAuthorities } from '../../services/authorities.js';
import { type PublishedKey, publishedKeys } from '../../services/keys.js';
import type { AppEnv } from '../env.js';
import { EXAMPLE, errorResponses } from '../schemas.js';

const jwkOf = (key: PublishedKey): JWK => ({ ...key.publicJwk, kid: key.kid, alg: key.alg, use: 'sig' });

const DID_CONTEXT = ['https://www.w3.org/ns/did/v1', 'https://w3id.org/security/suites/jws-2020/v1'];

function didDocument(did: string, keys: PublishedKey[], alsoKnownAs?: string[]) {
  const methods = keys.map((key) => ({ id: `${did}#${key.kid}`, type: 'JsonWebKey2020', controller: did, publicKeyJwk: jwkOf(key) }));
  const ids = methods.map((m) => m.id);
  return {
    '@context': DID_CONTEXT,
    id: did,
    ...(alsoKnownAs ? { alsoKnownAs } : {}),
    verificationMethod: methods,
    assertionMethod: ids,
  };
}

const CACHE = 'public, max-age=300, stale-while-revalidate=60';

const JWK_EXAMPLE = { ...EXAMPLE.publicJwk, kid: EXAMPLE.kid, alg: 'EdDSA', use: 'sig' };
const didExample = (did: string, alsoKnownAs?: string[]) => ({
  '@context': DID_CONTEXT,
  id: did,
  ...(alsoKnownAs ? { alsoKnownAs } : {}),
  verificationMethod: [{ id: `${did}#${EXAMPLE.kid}`, type: 'JsonWebKey2020', controller: did, publicKeyJwk: JWK_EXAMPLE }],
  assertionMethod: [`${did}#${EXAMPLE.kid}`],
});
const DidDocumentSchema = (example: Record<string, unknown>) => z.record(z.string(), z.unknown()).openapi({ example });

export function wellKnownRoutes(): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>();

  app.openapi(
    createRoute({
      method: 'get',
      path: '/.well-known/jwks.json',
      tags: ['Public'],
      summary: 'Public signing keys of every issuing authority hosted here (active and rotated-out, not retired)',
      responses: {
        200: {
          description: 'JWKS (RFC 7517)',
          content: { 'application/json': { schema: z.object({ keys: z.array(z.record(z.string(), z.unknown())) }).openapi({ example: { keys: [JWK_EXAMPLE] } }) } },
        },
      },
    }),
    async (c) => {
      const keys = await publishedKeys(c.var.services.store.db, { kind: 'authority' });
      c.header('Cache-Control', CACHE);
      return c.json({ keys: keys.map((k) => ({ ...jwkOf(k) })) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/.well-known/did.json',
      tags: ['Public'],
      summary: "The deployment's did:web document, listing the same keys as the JWKS",
      responses: {
        200: { description: 'DID document', content: { 'application/did+json': { schema: DidDocumentSchema(didExample('did:web:elicence.example', [EXAMPLE.authorityDid])) } } },
      },
    }),
    async (c) => {
      const { store, config } = c.var.services;
      const keys = await publishedKeys(store.db, { kind: 'authority' });
      const authorities = await listAuthorities(store.db);
      c.header('Cache-Control', CACHE);
      return c.json(
        didDocument(
          didWebFor(config.publicUrl, []),
          keys,
          authorities.map((a) => a.did),
        ),
        200,
        { 'Content-Type': 'application/did+json' },
      );
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/authorities/{id}/did.json',
      tags: ['Public'],
      summary: "An issuing authority's did:web document (its credentials' issuer.id resolves here)",
      request: { params: z.object({ id: z.string().max(64) }) },
      responses: {
        200: { description: 'DID document', content: { 'application/did+json': { schema: DidDocumentSchema(didExample(EXAMPLE.authorityDid)) } } },
        ...errorResponses(404),
      },
    }),
    async (c) => {
      const { store } = c.var.services;
      const authority = await findAuthority(store.db, c.req.valid('param').id);
      if (!authority) throw new ElicenceError('ERR_NOT_FOUND', 'no such authority', { field: 'id' });
      const keys = await publishedKeys(store.db, { kind: 'authority', id: authority.id });
      c.header('Cache-Control', CACHE);
      return c.json(didDocument(authority.did, keys), 200, { 'Content-Type': 'application/did+json' });
    },
  );

  return app;
}
