/**
 * What the simulated WeChat Pay keeps per merchant, and typed access to it over the Durable Object's
 * synchronous SQLite-backed KV (`ctx.storage.kv`). Synchronous storage means a whole API call's
 * read-check-write runs without an await, so concurrent calls can never interleave inside it.
 */
import type { SignType } from '../core';

export type TradeState = 'NOTPAY' | 'SUCCESS' | 'CLOSED' | 'REFUND';
/**
 * How an order or refund was requested: a v2 sign type, or `RSA` for API v3 (docs/wechatpay-v3.md §2).
 * It is the order's API version: v3 orders get v3 notifies and RSA pay parameters.
 */
export type OrderSignType = SignType | 'RSA';
export type RefundStatus = 'PROCESSING' | 'SUCCESS' | 'CHANGE' | 'REFUNDCLOSE';

export interface SimOrder {
  out_trade_no: string;
  /** The unifiedorder request without nonce_str and sign: re-entry must repeat it exactly. */
  params: Record<string, string>;
  sign_type: OrderSignType;
  total_fee: number;
  /** JSAPI (公众号 or mini-program), NATIVE, MWEB or APP. */
  trade_type: string;
  /** The appid the order was placed under: orderquery, the notify and the bill report it. */
  appid: string;
  /** The buyer under `appid`: from unifiedorder (JSAPI), else the payer once paid. */
  openid?: string;
  /** NATIVE: the current `weixin://wxpay/bizpayurl?pr=…` (renewed with the prepay). */
  code_url?: string;
  created_at: number;
  prepay_id: string;
  prepay_at: number;
  state: TradeState;
  transaction_id?: string;
  time_end?: string;
  paid_at?: number;
  closed_at?: number;
  bank_type?: string;
  refunded_fee: number;
  out_refund_nos: string[];
}

export interface SimRefund {
  out_refund_no: string;
  refund_id: string;
  out_trade_no: string;
  transaction_id: string;
  total_fee: number;
  refund_fee: number;
  status: RefundStatus;
  created_at: number;
  success_at?: number;
  notify_url?: string;
  refund_account: string;
  refund_desc?: string;
  sign_type: OrderSignType;
  /** The order's appid: the refund notify's outer appid. */
  appid?: string;
}

export interface OauthCode {
  openid: string;
  /** The appid the code was issued for: another appid's exchange finds no code (40029). */
  appid: string;
  /** An OAuth code (`/connect/oauth2/authorize`) or a mini-program `wx.login()` code (`/sim/js-code`). */
  kind?: 'oauth' | 'jscode';
  scope: string;
  snapshot: boolean;
  created_at: number;
  used_at?: number;
}

/** One `mweb_url` issued by unifiedorder: its `package`, valid 5 minutes from `issued_at`. */
export interface MwebTicket {
  out_trade_no: string;
  prepay_id: string;
  issued_at: number;
}

/** One merchant API call as the simulator saw it: the `wx()` oracle of docs/reliability.md §7.0. */
export interface CallRecord {
  endpoint: string;
  at: number;
  /** Present for an API v3 call (the endpoint is the v2 name of the same decision: unifiedorder, orderquery, …). */
  api?: 'v3';
  return_code: string;
  result_code?: string;
  err_code?: string;
  fault?: string;
}

/** A `download_url` issued by `GET /v3/bill/tradebill`: what it downloads, until `expires_at` (sandbox clock). */
export interface BillTicket {
  bill_date: string;
  bill_type: string;
  gzip: boolean;
  expires_at: number;
}

export interface ReceiverConfig {
  /** Answer this many deliveries with a failure before acknowledging. */
  fail_times: number;
  /** How to fail: a FAIL reply, the plain text `success` (not an acknowledgement), or HTTP 500 HTML. */
  fail_with: 'fail' | 'text' | 'http500';
}

export interface ReceiverState {
  config: ReceiverConfig;
  /** `headers`: the `webhook-*` headers of a merchant webhook, when it had any. */
  received: { at: number; body: string; reply: string; headers?: Record<string, string> }[];
}

/** Whether an order or refund was placed through API v3. */
export const isV3 = (x: { sign_type: OrderSignType }): boolean => x.sign_type === 'RSA';

/** Orders stored before the appid was kept carry it in their unifiedorder params. */
function withAppid(o: SimOrder | undefined): SimOrder | undefined {
  return o && o.appid === undefined ? { ...o, appid: o.params.appid ?? '' } : o;
}

const MAX_CALLS_PER_ORDER = 500;
const MAX_RECEIVED = 500;

export class SimStore {
  constructor(private readonly kv: SyncKvStorage) {}

  private get<T>(key: string): T | undefined {
    return this.kv.get<T>(key);
  }

  order(outTradeNo: string): SimOrder | undefined {
    return withAppid(this.get<SimOrder>(`order:${outTradeNo}`));
  }
  putOrder(o: SimOrder): void {
    this.kv.put(`order:${o.out_trade_no}`, o);
    this.kv.put(`prepay:${o.prepay_id}`, o.out_trade_no);
    if (o.transaction_id) this.kv.put(`txn:${o.transaction_id}`, o.out_trade_no);
    if (o.code_url) this.kv.put(`codeurl:${o.code_url}`, o.out_trade_no);
  }
  /** The order a `code_url` was issued for (it may since have been renewed: compare with `code_url`). */
  orderByCodeUrl(codeUrl: string): SimOrder | undefined {
    const no = this.get<string>(`codeurl:${codeUrl}`);
    return no === undefined ? undefined : this.order(no);
  }
  mweb(pkg: string): MwebTicket | undefined {
    return this.get(`mweb:${pkg}`);
  }
  putMweb(pkg: string, t: MwebTicket): void {
    this.kv.put(`mweb:${pkg}`, t);
  }
  orderByPrepay(prepayId: string): SimOrder | undefined {
    const no = this.get<string>(`prepay:${prepayId}`);
    return no === undefined ? undefined : this.order(no);
  }
  orderByTransaction(transactionId: string): SimOrder | undefined {
    const no = this.get<string>(`txn:${transactionId}`);
    return no === undefined ? undefined : this.order(no);
  }
  *orders(): Iterable<SimOrder> {
    for (const [, o] of this.kv.list<SimOrder>({ prefix: 'order:' })) yield withAppid(o)!;
  }

  refund(outRefundNo: string): SimRefund | undefined {
    return this.get(`refund:${outRefundNo}`);
  }
  putRefund(r: SimRefund): void {
    this.kv.put(`refund:${r.out_refund_no}`, r);
    this.kv.put(`refundid:${r.refund_id}`, r.out_refund_no);
  }
  refundById(refundId: string): SimRefund | undefined {
    const no = this.get<string>(`refundid:${refundId}`);
    return no === undefined ? undefined : this.refund(no);
  }
  *refunds(): Iterable<SimRefund> {
    for (const [, r] of this.kv.list<SimRefund>({ prefix: 'refund:' })) yield r;
  }

  code(code: string): OauthCode | undefined {
    return this.get(`code:${code}`);
  }
  putCode(code: string, c: OauthCode): void {
    this.kv.put(`code:${code}`, c);
  }

  /** Names entered on a pick page (or registered), by appid and openid: they join the fixed users as that appid's buyers. */
  userName(appId: string, openid: string): string | undefined {
    return this.get(`buyer:${appId}:${openid}`);
  }
  putUser(appId: string, openid: string, name: string): void {
    this.kv.put(`buyer:${appId}:${openid}`, name);
  }
  *users(appId: string): Iterable<[string, string]> {
    const prefix = `buyer:${appId}:`;
    for (const [k, name] of this.kv.list<string>({ prefix })) yield [k.slice(prefix.length), name];
  }

  scenario<T>(key: string): T | undefined {
    return this.get(`scenario:${key}`);
  }
  putScenario<T>(key: string, s: T | undefined): void {
    if (s === undefined) this.kv.delete(`scenario:${key}`);
    else this.kv.put(`scenario:${key}`, s);
  }

  calls(outTradeNo: string): CallRecord[] {
    return this.get<CallRecord[]>(`calls:${outTradeNo}`) ?? [];
  }
  addCall(outTradeNo: string, c: CallRecord): void {
    const list = this.calls(outTradeNo);
    list.push(c);
    this.kv.put(`calls:${outTradeNo}`, list.slice(-MAX_CALLS_PER_ORDER));
  }

  clockOffset(): number {
    return this.get<number>('clock:offset') ?? 0;
  }
  setClockOffset(ms: number): void {
    this.kv.put('clock:offset', ms);
  }

  /** A simulator setting (the API v3 signer mode, the notify counter), by name. */
  setting<T>(name: string): T | undefined {
    return this.get(`setting:${name}`);
  }
  putSetting<T>(name: string, v: T): void {
    this.kv.put(`setting:${name}`, v);
  }

  billTicket(token: string): BillTicket | undefined {
    return this.get(`v3bill:${token}`);
  }
  putBillTicket(token: string, t: BillTicket): void {
    this.kv.put(`v3bill:${token}`, t);
  }

  receiver(name: string): ReceiverState {
    return this.get<ReceiverState>(`receiver:${name}`) ?? { config: { fail_times: 0, fail_with: 'fail' }, received: [] };
  }
  putReceiver(name: string, r: ReceiverState): void {
    r.received = r.received.slice(-MAX_RECEIVED);
    this.kv.put(`receiver:${name}`, r);
  }
}
