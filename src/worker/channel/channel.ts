// The channel seam: the ONE interface through which use cases talk to WeChat Pay. It speaks domain
// values (amounts in integer fen, statuses, ids) and fails with ChannelError; XML or JSON, signing and
// the wire format stay inside an implementation (wechat/: API v2; wechat-v3/: API v3). What WeChat
// posts to us is read by each version's notify reader into one normalised notice, which the notify
// use case checks once for both.
import type { JsapiPayParams, JsapiPayParamsV3, NoticeFields, SignType } from '../../core';

import type { TradeType } from '../model';

export type { TradeType };

/** Every trade type, in the order the API documents them. */
export const TRADE_TYPES: readonly TradeType[] = ['JSAPI', 'MINIPROGRAM', 'NATIVE', 'MWEB', 'APP'];

/**
 * Which payment at WeChat a call is about, and the algorithm it was placed under: API v2 signs every
 * call of an order, and its pay params, with the order's own sign type (stored on the row); v3
 * ignores it (RSA for everything). `outTradeNo` is the number WeChat knows: a payment attempt's `payment_no` (for orders
 * made before attempts, the merchant's out_trade_no).
 */
export interface OrderRef {
  readonly outTradeNo: string;
  readonly signType: SignType;
  /** The appid the payment was placed under (a mini-program's or an app's); absent: the 公众号 appid. */
  readonly appId?: string;
}

/** The H5 scene WeChat needs for MWEB (`scene_info.h5_info`, type Wap): the merchant's site. */
export interface H5Scene {
  /** https URL on the merchant's authorised H5 domain. */
  readonly wapUrl: string;
  readonly wapName: string;
}

/** Who pays, by trade type: what the prepay needs beyond the order. */
export type Payer =
  /** The openid under the appid of the trade type (公众号 for JSAPI, the mini-program's for MINIPROGRAM). */
  | { readonly tradeType: 'JSAPI' | 'MINIPROGRAM'; readonly openid: string }
  /** product_id (String(32)): WeChat requires one for NATIVE. */
  | { readonly tradeType: 'NATIVE'; readonly productId: string }
  | { readonly tradeType: 'MWEB'; readonly scene: H5Scene }
  | { readonly tradeType: 'APP' };

/** 统一下单 / 下单: never retried blindly (outcome unknown on TIMEOUT/NETWORK: query, or repeat identically). */
export interface PrepayRequest {
  readonly order: OrderRef;
  readonly payer: Payer;
  /** Shown to the buyer (String(127), checked by bytes at order creation). */
  readonly description: string;
  /** Integer fen, from our own order row — never from a browser. */
  readonly totalFee: number;
  /** The buyer's IP as the edge saw it (pinned per attempt; for MWEB the IP WeChat will check). */
  readonly clientIp: string;
  /** The v2 notify route; an implementation whose notifies arrive elsewhere (v3: /wechat/v3/notify) sends its own. */
  readonly notifyUrl: string;
  /** When the order stops being payable. */
  readonly expiresAt: Date;
  readonly attach?: string | null;
}

/** What a prepay leaves, by trade type: stored on the attempt, turned into pay params on each request. */
export type Prepay =
  | { readonly tradeType: 'JSAPI' | 'MINIPROGRAM' | 'APP'; readonly prepayId: string }
  | { readonly tradeType: 'NATIVE'; readonly prepayId: string; readonly codeUrl: string }
  | { readonly tradeType: 'MWEB'; readonly prepayId: string; readonly mwebUrl: string };

/** The APP client's PayReq (OpenSDK), with the second signature over its six other fields. */
export interface AppPayParams {
  readonly appid: string;
  readonly partnerid: string;
  readonly prepayid: string;
  readonly package: 'Sign=WXPay';
  readonly noncestr: string;
  readonly timestamp: string;
  readonly sign: string;
}

/**
 * What the buyer's client needs to pay, by trade type: JSAPI the getBrandWCPayRequest arguments,
 * MINIPROGRAM the wx.requestPayment ones (signed with the mini-program's appId), NATIVE the code to
 * show as a QR, MWEB the URL to open, APP the PayReq. API v2 signs them with the order's sign type
 * (MD5, HMAC-SHA256); API v3 with the merchant's RSA key (signType "RSA").
 */
export type PayParams =
  | { readonly tradeType: 'JSAPI' | 'MINIPROGRAM'; readonly params: JsapiPayParams | JsapiPayParamsV3 }
  | { readonly tradeType: 'NATIVE'; readonly codeUrl: string }
  | { readonly tradeType: 'MWEB'; readonly mwebUrl: string }
  | { readonly tradeType: 'APP'; readonly params: AppPayParams };

/** A fresh signature's inputs: the channel has no clock and no randomness of its own. */
export interface PayParamsMoment {
  /** Epoch seconds. */
  readonly timeStamp: number;
  readonly nonce: string;
}

export type TradeState = 'SUCCESS' | 'REFUND' | 'NOTPAY' | 'CLOSED' | 'REVOKED' | 'USERPAYING' | 'PAYERROR' | 'ACCEPT';

/** A verified order query: what WeChat says about the order. Amounts in fen. */
export interface OrderQueryResult {
  readonly tradeState: TradeState;
  readonly outTradeNo: string;
  readonly transactionId?: string;
  readonly totalFee?: number;
  readonly cashFee?: number;
  readonly feeType?: string;
  readonly bankType?: string;
  readonly openid?: string;
  /** yyyyMMddHHmmss (Beijing), verbatim. */
  readonly timeEnd?: string;
  readonly tradeType?: string;
}

export interface RefundRequest {
  readonly order: OrderRef;
  readonly outRefundNo: string;
  readonly totalFee: number;
  readonly refundFee: number;
  readonly refundDesc?: string;
  /** The v2 refund-notify route; v3 sends its own (/wechat/v3/refund-notify). */
  readonly notifyUrl?: string;
}

/** Accepted, not refunded: the result comes by notify or query. */
export interface RefundAccepted {
  readonly refundId: string;
  readonly outRefundNo: string;
  readonly refundFee: number;
  readonly transactionId?: string;
}

export type RefundStatus = 'SUCCESS' | 'REFUNDCLOSE' | 'PROCESSING' | 'CHANGE';

export interface RefundQueryItem {
  readonly outRefundNo: string;
  readonly refundId?: string;
  readonly refundFee: number;
  readonly status: RefundStatus;
  /** `yyyy-MM-dd HH:mm:ss` (Beijing), verbatim. */
  readonly successTime?: string;
}

export interface RefundQueryResult {
  readonly outTradeNo?: string;
  readonly totalFee?: number;
  readonly refunds: readonly RefundQueryItem[];
}

export type BillType = 'ALL' | 'SUCCESS' | 'REFUND' | 'RECHARGE_REFUND';

/** The day's bill as text chunks (never whole in memory), or "no bill for that day" (a normal answer). */
export type BillStreamResult = { readonly kind: 'BILL'; readonly chunks: AsyncIterable<string> } | { readonly kind: 'NO_BILL' };

/**
 * A payment notify once authenticated, whatever its API version, as its reader normalised it: the wire
 * values as text, nothing checked beyond authenticity. Every later check (our merchant and appid, a
 * known attempt, amount, currency, result, trade type, payer) is the notify use case's, defined once
 * for both versions (core/payment-notice-checks.ts, run by notify/payment-notice.ts).
 */
export type PaymentNotice = NoticeFields;

/** A refund notify once authenticated (v2: its req_info decrypted; v3: signature and resource), normalised like PaymentNotice. */
export interface RefundNotice {
  /** v2: the outer appid (outside the encryption, still ours to check); null: the version carries none (v3). */
  readonly appId: string | undefined | null;
  readonly mchId?: string;
  readonly outTradeNo?: string;
  readonly outRefundNo?: string;
  readonly refundId?: string;
  /** The domain's RefundStatus when WeChat reported one consistently (SUCCESS, CHANGE, REFUNDCLOSE), else what it reported. */
  readonly status?: string;
  /** Fen as text (v2 refund_fee/total_fee; v3 amount.refund/amount.total). */
  readonly refundFee?: string;
  readonly totalFee?: string;
  /** `yyyy-MM-dd HH:mm:ss` (Beijing). */
  readonly successTime?: string;
}

/**
 * An API v2 payment notify as the channel reads it: authentic or not (step 4 of I1). `notice` holds only
 * what the signature covers. `messageKey` identifies the authenticated message whatever its encoding
 * (the anomaly idempotency key).
 */
export type PayNotifyReading =
  | { readonly ok: true; readonly notice: PaymentNotice; readonly trimmedReading: boolean; readonly messageKey: string }
  | { readonly ok: false; readonly reason: string };

/** An API v2 refund notify opened: the encrypted payload's facts, or why it is not authentic. */
export type RefundNotifyReading =
  | { readonly ok: true; readonly notice: RefundNotice; readonly messageKey: string }
  | { readonly ok: false; readonly reason: 'REQ_INFO_MISSING' | 'REQ_INFO_UNDECRYPTABLE' };

/** Reading the API v2 notifies (XML, fields parsed by the route). No network: a v2 notify never calls out. */
export interface NotifyReader {
  /** Authenticates a parsed payment notify (algorithm allowlist, constant-time signature check). */
  readPayNotify(fields: Readonly<Record<string, string>>): Promise<PayNotifyReading>;
  /** Opens a parsed refund notify (its encrypted payload is what makes it authentic). */
  readRefundNotify(fields: Readonly<Record<string, string>>): Promise<RefundNotifyReading>;
}

/** An API v3 notify as received: the raw body bytes (what the signature covers) and the headers that carry it. */
export interface V3NotifyMessage {
  readonly headers: Headers;
  readonly body: Uint8Array;
  readonly receivedAt: Date;
}

/**
 * An API v3 notify read: authentic and decrypted, with the decrypted resource (the evidence kept) and
 * its key (a hash of the resource, the same for every re-delivery); or refused — SIGN_ERROR when it is
 * not authentic, PARAM_ERROR when it is but cannot be opened.
 */
export type V3NotifyReading<N> =
  | { readonly ok: true; readonly notice: N; readonly messageKey: string; readonly resource: string }
  | { readonly ok: false; readonly reason: string; readonly reply: 'SIGN_ERROR' | 'PARAM_ERROR' };

/** Reading the API v3 notifies: signature over the raw bytes by the serial's key (±5 min), then the AES-GCM resource. */
export interface V3NotifyReader {
  readPayNotifyV3(message: V3NotifyMessage): Promise<V3NotifyReading<PaymentNotice>>;
  readRefundNotifyV3(message: V3NotifyMessage): Promise<V3NotifyReading<RefundNotice>>;
}

/**
 * WeChat Pay, as use cases see it. Every answer a method returns was verified (signature, our
 * merchant); anything else is a ChannelError.
 */
export interface PaymentChannel {
  /** The appid a trade type pays under, or null when the merchant has not configured it (TRADE_TYPE_UNAVAILABLE). */
  appIdFor(tradeType: TradeType): string | null;
  /** Creates (or, repeated identically, finds again) the payment at WeChat, under `appIdFor(payer.tradeType)`. */
  prepay(req: PrepayRequest): Promise<Prepay>;
  /** Fresh pay params for a stored prepay (a new signature each time: v2 under the order's sign type, v3 RSA). */
  payParams(prepay: Prepay, order: OrderRef, at: PayParamsMoment): Promise<PayParams>;
  /** Safe to repeat: retried with backoff inside. */
  queryOrder(order: OrderRef): Promise<OrderQueryResult>;
  /** Refused within CLOSE_MIN_AGE_MS of creation; ORDERPAID / ORDERCLOSED arrive as ChannelError. */
  closeOrder(order: OrderRef): Promise<void>;
  /** v2 over the client-certificate path, v3 a signed call. On TIMEOUT/NETWORK query first, then repeat identically. */
  refund(req: RefundRequest): Promise<RefundAccepted>;
  /** Safe to repeat: retried with backoff inside. */
  queryRefund(outRefundNo: string, order: OrderRef): Promise<RefundQueryResult>;
  /** The T+1 bill of `billDate` (yyyyMMdd, Beijing), streamed. */
  fetchBill(billDate: string, billType: BillType): Promise<BillStreamResult>;
  /** False when refunds cannot work here (v2 live without the client certificate): fail closed before reserving. */
  readonly refundsAvailable: boolean;
  /** The same channel, calling `onRequest` before each request it sends (a budget counts them; retries count). */
  counted(onRequest: () => void): PaymentChannel;
}

/** An OAuth exchange's answer. CODE_REJECTED: a reused or expired code, worth one fresh authorize round. */
export type CodeExchange =
  | { ok: true; openid: string; snapshotUser: boolean }
  | { ok: false; reason: 'CODE_REJECTED' | 'REFUSED' | 'UNAVAILABLE'; errcode?: number };

/** Who the buyer is, as WeChat's platform answers for an appid (the checkout's OAuth, a mini-program's login). */
export interface BuyerIdentity {
  /** snsapi_base: an OAuth code → the buyer's openid under the 公众号 appid. */
  oauthOpenid(code: string): Promise<CodeExchange>;
  /**
   * jscode2session: a mini-program's wx.login() code → the buyer's openid under the mini-program's
   * appid (the session_key never leaves the implementation). UNAVAILABLE without WECHAT_MINIPROGRAM_SECRET.
   */
  miniProgramOpenid(jsCode: string): Promise<CodeExchange>;
}
