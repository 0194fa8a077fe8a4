import type { SimMerchant } from './settings';

/** The simulator's Hono context: the Workers bindings, plus the merchant resolved once per request. */
export type SandboxEnv = { Bindings: Env; Variables: { merchant: SimMerchant } };

export function merchantStub(env: Env, mchId: string) {
  return env.SANDBOX_MERCHANT.getByName(mchId);
}
