/** W3C VC API: POST /credentials/issue and POST /credentials/verify with enveloped vc+jwt credentials. */
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { requireAuthority } from '../../services/authorities.js';
import { issueLicences } from '../../services/issuance.js';
import { credentialToIssueRequest, envelope, unwrapEnvelope, verifyHostedCredential } from '../../services/vc-api.js';
import type { AppEnv } from '../env.js';
import { requireScope, requireToken } from '../middleware.js';
import { errorResponses } from '../schemas.js';

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
              schema: z.object({ credential: z.record(z.string(), z.unknown()), options: z.record(z.string(), z.unknown()).optional() }).strict(),
            },
          },
        },
      },
      responses: {
        201: { description: 'Issued', content: { 'application/json': { schema: z.object({ verifiableCredential: EnvelopedSchema }) } } },
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
      request: {
        body: {
          required: true,
          content: {
            'application/json': {
              schema: z.object({ verifiableCredential: z.unknown(), options: z.record(z.string(), z.unknown()).optional() }).strict(),
            },
          },
        },
      },
      responses: {
        200: {
          description: 'Verification result',
          content: {
            'application/json': {
              schema: z.object({
                verified: z.boolean(),
                checks: z.array(z.string()),
                warnings: z.array(z.object({ code: z.string(), message: z.string() })),
                errors: z.array(z.object({ code: z.string(), message: z.string() })),
              }),
            },
          },
        },
        ...errorResponses(400),
      },
    }),
    async (c) => {
      const jws = unwrapEnvelope(c.req.valid('json').verifiableCredential);
      const services = c.var.services;
      return c.json(await verifyHostedCredential(services, jws, services.clock.now()), 200);
    },
  );

  return app;
}
