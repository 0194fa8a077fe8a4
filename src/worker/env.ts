// Bindings come from worker-configuration.d.ts (`wrangler types`); this adds the Hono context.
export type HonoEnv = { Bindings: Env; Variables: { requestId: string } };
