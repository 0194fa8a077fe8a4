// How the client reaches WeChat: live HTTPS, the mTLS certificate binding for refunds, or the embedded simulator.
import { SANDBOX_CLIENT_CERT_HEADER } from '../../core';
import type { Config } from '../platform/config';

/** One HTTP POST of an XML body. The client never knows which WeChat (live or simulator) answers. */
export type WechatTransport = (url: string, init: RequestInit) => Promise<Response>;

export interface WechatTransports {
  /** Ordinary calls (unifiedorder, orderquery, closeorder, refundquery, downloadbill). */
  readonly api: WechatTransport;
  /** Calls under /secapi/ that live WeChat only accepts with the merchant's client certificate (refund). */
  readonly cert: WechatTransport;
  /** False when `cert` cannot work (live without the WECHAT_MTLS binding): refunds fail closed before anything is reserved. Absent = available. */
  readonly certAvailable?: boolean;
}

interface LoopbackCtx {
  exports?: { default?: { fetch?: (req: Request) => Promise<Response> } };
}

/**
 * Sandbox: requests to `${publicBaseUrl}/sandbox/...` are dispatched into this same worker through
 * `ctx.exports.default.fetch`, so they work with no network (tests, `wrangler dev`).
 * Live: global fetch; refunds through the `WECHAT_MTLS` binding (wrangler.toml `mtls_certificates`).
 */
export function wechatTransports(config: Config, env: Env, ctx: object): WechatTransports {
  if (config.mode === 'sandbox') {
    const self = (ctx as unknown as LoopbackCtx).exports?.default;
    if (!self?.fetch) throw new Error('sandbox mode needs ctx.exports.default.fetch');
    // Called as a method: the loopback fetcher needs its `this`.
    const loopback = (req: Request) => self.fetch!(req);
    const api: WechatTransport = (url, init) => loopback(new Request(url, init));
    const cert: WechatTransport = (url, init) => {
      const headers = new Headers(init.headers);
      // The simulator cannot see TLS on loopback; it reads this header instead (see docs/sandbox.md).
      headers.set(SANDBOX_CLIENT_CERT_HEADER, config.mchId);
      return loopback(new Request(url, { ...init, headers }));
    };
    return { api, cert, certAvailable: true };
  }
  const mtls = (env as { WECHAT_MTLS?: Fetcher }).WECHAT_MTLS;
  return {
    certAvailable: !!mtls,
    api: (url, init) => fetch(url, init),
    cert: (url, init) => {
      if (!mtls) return Promise.reject(new Error('refunds need the WECHAT_MTLS certificate binding'));
      return mtls.fetch(url, init);
    },
  };
}
