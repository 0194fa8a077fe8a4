/**
 * The one merchant the simulator serves: the gateway's own configured appid, mch_id and key, so that
 * `npm run dev` works with no configuration. The gateway resolves it from its config and hands it to
 * `createSandboxApp`; the simulator never reads the environment or imports the gateway.
 */
import type { SignType } from '../core';

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

/** How the gateway supplies the merchant for a request's bindings; null when its config is invalid. */
export type SimMerchantOf = (env: Env) => SimMerchant | null;
