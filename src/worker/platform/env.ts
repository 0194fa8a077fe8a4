// Bindings come from worker-configuration.d.ts (`wrangler types`); this adds the Hono context.
import type { Config } from './config';
import type { DepsFactory, GatewayDeps } from './deps';

export type HonoEnv = {
  Bindings: Env;
  Variables: {
    requestId: string;
    /** The composition root's builder of dependencies (compose/app.ts sets it first). */
    factory: DepsFactory;
    /** Logged by the request logger: the order the request touched, and its outcome code. */
    outTradeNo?: string;
    outcome?: string;
    /** The request's configuration, judged once (middleware/require-config.ts); set only when valid. */
    config: Config;
    /** The use cases' dependencies for this request, built on first use; set with `config`. */
    deps: GatewayDeps;
  };
};
