/**
 * The parts of the pool's `cloudflare:test` module these tests use, declared here so the project's
 * one tsconfig (DOM types) compiles them without the Workers global types.
 */
declare module 'cloudflare:test' {
  export const SELF: { fetch(input: string | Request, init?: RequestInit): Promise<Response> };
  export const env: {
    DB: unknown;
    TEST_MIGRATIONS: { name: string; queries: string[] }[];
    PUBLIC_URL: string;
    BOOTSTRAP_TOKEN: string;
    BOOTSTRAP_ADMIN_PASSWORD: string;
  };
  export function applyD1Migrations(db: unknown, migrations: { name: string; queries: string[] }[], migrationsTableName?: string): Promise<void>;
}
