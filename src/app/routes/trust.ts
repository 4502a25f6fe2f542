/** Scaffold: filled in by its owner. */
import { OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv } from '../env.js';

export function trustRoutes(): OpenAPIHono<AppEnv> {
  return new OpenAPIHono<AppEnv>();
}
