/**
 * The one merchant the simulator serves: the gateway's own configured appid, mch_id and key, so that
 * `npm run dev` works with no configuration. Read through the shell's config parser, the single
 * place env vars are validated.
 */
import type { SignType } from '../core';
import { getConfig } from '../worker/config';

export interface SimMerchant {
  readonly appId: string;
  readonly mchId: string;
  readonly key: string;
  readonly appSecret: string;
  /** Default sign type for messages that carry no request (e.g. a bare `buildSignedPayNotify`). */
  readonly signType: SignType;
  /** Origin of PUBLIC_BASE_URL: notify URLs on it are delivered in-process (loopback). */
  readonly publicOrigin: string;
  /** Shown on the pay sheet (MERCHANT_NAME, as on the hosted checkout page). */
  readonly name: string;
}

export function simMerchant(env: Env): SimMerchant | null {
  const parsed = getConfig(env);
  if (!parsed.ok) return null;
  const c = parsed.config;
  return {
    appId: c.appId,
    mchId: c.mchId,
    key: c.apiKey,
    appSecret: c.appSecret,
    signType: c.signType,
    publicOrigin: new URL(c.publicBaseUrl).origin,
    name: (env as { MERCHANT_NAME?: string }).MERCHANT_NAME || '沙箱商户',
  };
}
