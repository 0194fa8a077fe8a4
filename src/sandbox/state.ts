/**
 * What the simulated WeChat Pay keeps per merchant, and typed access to it over the Durable Object's
 * synchronous SQLite-backed KV (`ctx.storage.kv`). Synchronous storage means a whole API call's
 * read-check-write runs without an await, so concurrent calls can never interleave inside it.
 */
import type { SignType } from '../core';

export type TradeState = 'NOTPAY' | 'SUCCESS' | 'CLOSED' | 'REFUND';
export type RefundStatus = 'PROCESSING' | 'SUCCESS' | 'CHANGE' | 'REFUNDCLOSE';

export interface SimOrder {
  out_trade_no: string;
  /** The unifiedorder request without nonce_str and sign: re-entry must repeat it exactly. */
  params: Record<string, string>;
  sign_type: SignType;
  total_fee: number;
  trade_type: string;
  openid: string;
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
  sign_type: SignType;
}

export interface OauthCode {
  openid: string;
  appid: string;
  scope: string;
  snapshot: boolean;
  created_at: number;
  used_at?: number;
}

/** One merchant API call as the simulator saw it: the `wx()` oracle of docs/reliability.md §7.0. */
export interface CallRecord {
  endpoint: string;
  at: number;
  return_code: string;
  result_code?: string;
  err_code?: string;
  fault?: string;
}

export interface ReceiverConfig {
  /** Answer this many deliveries with a failure before acknowledging. */
  fail_times: number;
  /** How to fail: a FAIL reply, the plain text `success` (not an acknowledgement), or HTTP 500 HTML. */
  fail_with: 'fail' | 'text' | 'http500';
}

export interface ReceiverState {
  config: ReceiverConfig;
  received: { at: number; body: string; reply: string }[];
}

const MAX_CALLS_PER_ORDER = 500;
const MAX_RECEIVED = 500;

export class SimStore {
  constructor(private readonly kv: SyncKvStorage) {}

  private get<T>(key: string): T | undefined {
    return this.kv.get<T>(key);
  }

  order(outTradeNo: string): SimOrder | undefined {
    return this.get(`order:${outTradeNo}`);
  }
  putOrder(o: SimOrder): void {
    this.kv.put(`order:${o.out_trade_no}`, o);
    this.kv.put(`prepay:${o.prepay_id}`, o.out_trade_no);
    if (o.transaction_id) this.kv.put(`txn:${o.transaction_id}`, o.out_trade_no);
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
    for (const [, o] of this.kv.list<SimOrder>({ prefix: 'order:' })) yield o;
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

  /** Names entered on the pick page, by openid: they join the fixed users as this appid's buyers. */
  userName(openid: string): string | undefined {
    return this.get(`user:${openid}`);
  }
  putUser(openid: string, name: string): void {
    this.kv.put(`user:${openid}`, name);
  }
  *users(): Iterable<[string, string]> {
    for (const [k, name] of this.kv.list<string>({ prefix: 'user:' })) yield [k.slice(5), name];
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

  receiver(name: string): ReceiverState {
    return this.get<ReceiverState>(`receiver:${name}`) ?? { config: { fail_times: 0, fail_with: 'fail' }, received: [] };
  }
  putReceiver(name: string, r: ReceiverState): void {
    r.received = r.received.slice(-MAX_RECEIVED);
    this.kv.put(`receiver:${name}`, r);
  }
}
