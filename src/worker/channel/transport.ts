// How a channel reaches WeChat: injected (compose/wiring.ts builds live HTTPS, the mTLS binding for v2
// refunds, or the loopback into the embedded simulator). Shared by the v2 and v3 clients.

/** One HTTP request. The client never knows which WeChat (live or simulator) answers. */
export type WechatTransport = (url: string, init: RequestInit) => Promise<Response>;

export interface WechatTransports {
  /** Ordinary calls (v2: unifiedorder, orderquery, closeorder, refundquery, downloadbill; every v3 call). */
  readonly api: WechatTransport;
  /** v2 calls under /secapi/ that live WeChat only accepts with the merchant's client certificate (refund). */
  readonly cert: WechatTransport;
  /** False when `cert` cannot work (live without the WECHAT_MTLS binding): v2 refunds fail closed before anything is reserved. Absent = available. */
  readonly certAvailable?: boolean;
}
