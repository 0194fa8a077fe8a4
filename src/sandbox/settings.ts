/**
 * The one merchant the simulator serves: the gateway's own configured appid, mch_id and key, so that
 * `npm run dev` works with no configuration. The gateway resolves it from its config and hands it to
 * `createSandboxApp`; the simulator never reads the environment or imports the gateway.
 */
import type { SignType } from '../core';

export interface SimMerchant {
  /** The 公众号 (official account) appid: JSAPI in WeChat's browser, OAuth, the pay sheet. */
  readonly appId: string;
  readonly mchId: string;
  readonly key: string;
  /** The 公众号 AppSecret (OAuth). */
  readonly appSecret: string;
  /** Default sign type for messages that carry no request (e.g. a bare `buildSignedPayNotify`). */
  readonly signType: SignType;
  /** Origin of PUBLIC_BASE_URL: notify URLs on it are delivered in-process (loopback). */
  readonly publicOrigin: string;
  /** Shown on the pay sheet (MERCHANT_NAME, as on the hosted checkout page). */
  readonly name: string;
  /** The mini-program bound to mch_id (docs/wechatpay-v2.md §23.3): unifiedorder JSAPI under its appid, jscode2session. */
  readonly miniProgram?: { readonly appId: string; readonly secret: string };
  /** The open-platform mobile app bound to mch_id (docs/wechatpay-v2.md §23.4): trade_type=APP. */
  readonly appAppId?: string;
  /**
   * The merchant's authorised H5 payment domains (MWEB, docs/wechatpay-v2.md §23.2): hosts the page opening
   * `mweb_url` (its Referer) and `redirect_url` must be on. An entry with a port (`127.0.0.1:8787`)
   * matches that host and port; one without matches the host name on any port.
   */
  readonly h5Domains: readonly string[];
  /**
   * API v3 (docs/wechatpay-v3.md): the merchant's APIv3 key (notify and certificate resources are
   * encrypted under it), and its API private key, whose public half verifies the merchant's
   * `Authorization` (serial_no must be `mchSerial`). The simulator's own signing keys are its own
   * (core/sandbox-v3-keys.ts).
   */
  readonly v3: { readonly apiV3Key: string; readonly mchPrivateKey: string; readonly mchSerial: string };
}

/** How the gateway supplies the merchant for a request's bindings; null when its config is invalid. */
export type SimMerchantOf = (env: Env) => SimMerchant | null;

/** Which of the merchant's bound applications an appid is: the 公众号, the mini-program or the mobile app. */
export type AppKind = 'mp' | 'mini' | 'app';

export function appKindOf(m: SimMerchant, appId: string | undefined): AppKind | undefined {
  if (!appId) return undefined;
  if (appId === m.appId) return 'mp';
  if (appId === m.miniProgram?.appId) return 'mini';
  if (appId === m.appAppId) return 'app';
  return undefined;
}

/** Whether a URL's host is one of the merchant's authorised H5 domains. */
export function onH5Domain(m: SimMerchant, url: URL): boolean {
  return m.h5Domains.some((d) => (d.includes(':') ? url.host === d : url.hostname === d));
}
