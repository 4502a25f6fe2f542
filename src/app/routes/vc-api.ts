/**
 * W3C VC API: POST /credentials/issue, POST /credentials/verify (enveloped vc+jwt credentials) and
 * POST /presentations/verify (enveloped vp+jwt, or plain presentations of enveloped credentials).
 */
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { requireAuthority } from '../../services/authorities.js';
import { issueLicences } from '../../services/issuance.js';
import { credentialToIssueRequest, envelope, verifyEnvelopedCredential, verifyPresentation } from '../../services/vc-api.js';
import type { AppEnv } from '../env.js';
import { requireScope, requireToken } from '../middleware.js';
import { EXAMPLE, errorResponses, ISSUE_REQUEST_EXAMPLE } from '../schemas.js';

const Problem = z.object({ code: z.string(), message: z.string() });
const ProblemDetail = z.object({ type: z.string(), title: z.string(), detail: z.string() });
const VERIFIED_EXAMPLE = { verified: true, checks: ['proof', 'issuerTrusted', 'claims', 'validityWindow', 'credentialStatus'], warnings: [], errors: [], problemDetails: [] };
const ENVELOPED_EXAMPLE = {
  '@context': ['https://www.w3.org/ns/credentials/v2'],
  type: 'EnvelopedVerifiableCredential',
  id: `data:application/vc+jwt,${EXAMPLE.jws}`,
};

const VerificationSchema = z
  .object({
    verified: z.boolean(),
    checks: z.array(z.string()),
    warnings: z.array(Problem),
    errors: z.array(Problem),
    problemDetails: z.array(ProblemDetail),
    reason: z.string().optional().openapi({
      description: 'A revoked or suspended licence of this service: which legal act (penalty, rescinded, deregistered, superseded, other; suspended; unspecified)',
    }),
  })
  .openapi('VerificationResult', { example: VERIFIED_EXAMPLE });

const EnvelopedSchema = z
  .object({
    '@context': z.array(z.string()).optional(),
    type: z.string().openapi({ example: 'EnvelopedVerifiableCredential' }),
    id: z.string().openapi({ example: 'data:application/vc+jwt,eyJhbGciOiJFZERTQSIs...' }),
  })
  .openapi('EnvelopedVerifiableCredential');

export function vcApiRoutes(): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>();

  app.use('/credentials/issue', requireToken);
  app.openapi(
    createRoute({
      method: 'post',
      path: '/credentials/issue',
      middleware: [requireScope('issue')] as const,
      tags: ['VC API'],
      summary: 'Issue a credential (W3C VC API); the credential must describe a licence of a registered type',
      security: [{ bearer: [] }],
      request: {
        body: {
          required: true,
          content: {
            'application/json': {
              schema: z
                .object({ credential: z.record(z.string(), z.unknown()), options: z.record(z.string(), z.unknown()).optional() })
                .strict()
                .openapi({
                  example: {
                    credential: {
                      '@context': ['https://www.w3.org/ns/credentials/v2'],
                      type: ['VerifiableCredential', 'BusinessLicence'],
                      issuer: EXAMPLE.authorityDid,
                      validUntil: '2031-11-29T16:00:00Z',
                      credentialSubject: (({ creditCode, ...fields }) => ({ id: `urn:uscc:${creditCode}`, ...fields }))(ISSUE_REQUEST_EXAMPLE.subject),
                    },
                  },
                }),
            },
          },
        },
      },
      responses: {
        201: {
          description: 'Issued',
          content: { 'application/json': { schema: z.object({ verifiableCredential: EnvelopedSchema }).openapi({ example: { verifiableCredential: ENVELOPED_EXAMPLE } }) } },
        },
        ...errorResponses(400, 401, 403),
      },
    }),
    async (c) => {
      const principal = c.var.principal;
      const services = c.var.services;
      const authority = await requireAuthority(services.store.db, principal.authorityId);
      const request = credentialToIssueRequest(c.req.valid('json').credential, authority.did);
      const { licences } = await issueLicences(services, services.registry, principal, [request]);
      return c.json({ verifiableCredential: envelope(licences[0]!.jws) }, 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/credentials/verify',
      tags: ['VC API'],
      summary: 'Verify an enveloped vc+jwt credential issued by an authority of this service',
      description:
        "A malformed envelope (no VC 2.0 @context, wrong type, not a data:application/vc+jwt URL, an undecodable JWS) is 400. Otherwise 200 with `verified` and the checks behind it: signature, JWT claims against the credential, validity window (each end optional), and status. An agent authorisation is never verified here (ERR_PRESENTATION_NOT_LIVE): it counts only when shown live from the agent's device.",
      request: {
        body: {
          required: true,
          content: {
            'application/json': {
              schema: z
                .object({ verifiableCredential: z.unknown(), options: z.record(z.string(), z.unknown()).optional() })
                .strict()
                .openapi({ example: { verifiableCredential: ENVELOPED_EXAMPLE } }),
            },
          },
        },
      },
      responses: {
        200: { description: 'Verification result', content: { 'application/json': { schema: VerificationSchema } } },
        ...errorResponses(400),
      },
    }),
    async (c) => {
      const services = c.var.services;
      const verification = await verifyEnvelopedCredential(services, c.req.valid('json').verifiableCredential, {
        publicUrl: services.config.publicUrl,
        now: services.clock.now(),
      });
      return c.json(verification, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/presentations/verify',
      tags: ['VC API'],
      summary: 'Verify a presentation: an enveloped vp+jwt, or a plain presentation of enveloped vc+jwt credentials',
      description:
        'A vp+jwt is verified with the holder key its kid names (did:jwk or did:key, Ed25519 or P-256); any other key is ERR_HOLDER_KEY_UNRESOLVABLE, with the credentials still checked. Each credential gets the checks of /credentials/verify (credentialResults); a credential bound to a device key (cnf) in a vp+jwt must be bound to the key that signed it (ERR_CLAIMS_MISMATCH otherwise). options.challenge and options.domain, when given, must match the vp+jwt nonce and aud.',
      request: {
        body: {
          required: true,
          content: {
            'application/json': {
              schema: z
                .object({
                  verifiablePresentation: z.unknown(),
                  options: z
                    .object({ challenge: z.string().max(512).optional(), domain: z.string().max(512).optional() })
                    .passthrough()
                    .optional(),
                })
                .strict()
                .openapi({
                  example: {
                    verifiablePresentation: { '@context': ['https://www.w3.org/ns/credentials/v2'], type: ['VerifiablePresentation'], verifiableCredential: [ENVELOPED_EXAMPLE] },
                  },
                }),
            },
          },
        },
      },
      responses: {
        200: {
          description: 'Verification result',
          content: {
            'application/json': {
              schema: VerificationSchema.extend({ credentialResults: z.array(VerificationSchema.extend({ credentialId: z.string().optional() })) }).openapi(
                'PresentationVerificationResult',
                { example: { ...VERIFIED_EXAMPLE, checks: ['credentials'], credentialResults: [{ ...VERIFIED_EXAMPLE, credentialId: `urn:uuid:${EXAMPLE.licenceId}` }] } },
              ),
            },
          },
        },
        ...errorResponses(400),
      },
    }),
    async (c) => {
      const services = c.var.services;
      const body = c.req.valid('json');
      const verification = await verifyPresentation(services, body.verifiablePresentation, {
        publicUrl: services.config.publicUrl,
        now: services.clock.now(),
        challenge: body.options?.challenge,
        domain: body.options?.domain,
      });
      return c.json(verification, 200);
    },
  );

  return app;
}
