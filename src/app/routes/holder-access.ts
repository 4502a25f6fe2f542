/**
 * Agency API: creating (or rotating) the holder code of a licence's holder (docs/holder-app.md). The
 * code is answered once, here, and never again: only its hash is kept.
 */
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { createHolderAccess } from '../../services/holder-access.js';
import { requireLicence } from '../../services/licences.js';
import { requireLicenceType } from '../../services/tokens.js';
import type { AppEnv } from '../env.js';
import { requireScope } from '../middleware.js';
import { errorResponses } from '../schemas.js';

const EXAMPLE = {
  code: 'hangzhou-amr.MFRGGZDFMZTWQ2LKNNWG23TPOA',
  link: 'https://elicence.example/holder/#c=hangzhou-amr.MFRGGZDFMZTWQ2LKNNWG23TPOA',
  authorityId: 'hangzhou-amr',
  holder: { creditCode: '91330106MA2CFX7K5Y', name: '杭州示例科技有限公司' },
  generation: 1,
  rotated: false,
  createdAt: '2026-06-01T00:00:00.000Z',
};

export const HolderAccessSchema = z
  .object({
    code: z.string().openapi({ description: 'The holder code: `<authority id>.<26 base32 characters>` (128 random bits). Shown once; only its SHA-256 is kept.' }),
    link: z.string().openapi({ description: 'The holder app link carrying the code in its fragment (`/holder/#c=...`), which browsers never send to a server' }),
    authorityId: z.string(),
    holder: z.object({ creditCode: z.string(), name: z.string().nullable() }),
    generation: z.number().int().openapi({ description: '1 for the first code of this holder at this authority, +1 per rotation' }),
    rotated: z.boolean().openapi({ description: 'true: a previous code existed; it no longer works and its sessions have ended' }),
    createdAt: z.string(),
  })
  .openapi('HolderAccess');

export function holderAccessRoutes(): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>();
  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/licences/{id}/holder-access',
      middleware: [requireScope('issue')] as const,
      tags: ['Holder access'],
      summary: "Create or rotate the holder code of this licence's holder",
      description:
        'One code per holder (credit code) and authority, whichever of its licences it is asked for: calling this again rotates it, the previous code stops working and every holder session made from it ends. The answer is the only time the code is shown. No request body. The code opens every licence of the holder here, so a token limited to some licence types gets 403 ERR_FORBIDDEN when the holder also holds another type.',
      security: [{ bearer: [] }],
      request: { params: z.object({ id: z.string().min(1).max(64) }) },
      responses: {
        201: { description: 'The new code and link', content: { 'application/json': { schema: HolderAccessSchema, example: EXAMPLE } } },
        ...errorResponses(401, 403, 404),
      },
    }),
    async (c) => {
      const { principal, services } = c.var;
      const id = c.req.valid('param').id;
      requireLicenceType(principal, (await requireLicence(services.store.db, principal.authorityId, id)).type);
      const created = await createHolderAccess(
        services,
        { authorityId: principal.authorityId, licenceId: id },
        { actor: principal.tokenId, staffId: principal.staffId, licenceTypes: principal.licenceTypes },
      );
      c.header('Cache-Control', 'no-store');
      return c.json(
        {
          code: created.code,
          link: created.link,
          authorityId: created.authorityId,
          holder: { creditCode: created.holderCreditCode, name: created.holderName },
          generation: created.generation,
          rotated: created.rotated,
          createdAt: new Date(created.createdAt).toISOString(),
        },
        201,
      );
    },
  );
  return app;
}
