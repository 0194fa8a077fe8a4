// How the client reaches WeChat: injected (compose/wiring.ts builds live HTTPS, the mTLS binding for
// refunds, or the loopback into the embedded simulator).

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
