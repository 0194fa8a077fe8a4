// Bindings come from worker-configuration.d.ts (`wrangler types`); this adds the Hono context.
export type HonoEnv = {
  Bindings: Env;
  Variables: {
    requestId: string;
    /** Logged by the request logger: the order the request touched, and its outcome code. */
    outTradeNo?: string;
    outcome?: string;
  };
};
