/**
 * SandboxMerchant: the simulated WeChat Pay side of one merchant (one instance, named by mch_id).
 * It holds orders, prepays, refunds, OAuth codes, pick-page users, scenarios, the call log and the
 * sandbox clock. Each RPC method decides and writes synchronously (`ctx.storage.kv`), so calls are
 * atomic with respect to each other; signing and HTTP stay outside, in the routes.
 */
import { DurableObject } from 'cloudflare:workers';
import { bytesToHex } from '../core';
import { downloadBill, type BillMerchant, type BillResult } from './bill';
import { writeBulkTrades } from './bulk';
import { newOauthCode } from './ids';
import { bizFail, type Outcome } from './outcome';
import { refund, refundQuery } from './refund';
import { ERR_CODE_DES, takeFault, type Endpoint, type Fault, type Scenario } from './scenarios';
import { SimStore, type CallRecord, type OauthCode, type ReceiverConfig, type ReceiverState, type SimOrder, type SimRefund } from './state';
import type { AppKind } from './settings';
import {
  closeOrder,
  findOrder,
  markPaid,
  orderQuery,
  payableHandle,
  payerAllowed,
  unifiedOrder,
  type PayHandle,
  type PayRefusal,
  type VerifiedRequest,
} from './trade';
import { fixedUser, openidFor, TEST_USERS } from './users';
import { DEFAULT_SIGNER_MODE, notifyKey, type SignerMode, type SimKey } from './v3/signer';

/** OAuth codes and mini-program js_codes alike: single use, 5 minutes. */
const OAUTH_CODE_TTL_MS = 5 * 60_000;
/** Scenario key that applies to every order without a scenario of its own. */
export const ANY_ORDER = '*';

interface ApiResult {
  outcome: Outcome;
  /** A fault that shapes the HTTP reply: hang (timeout) or answer late. */
  fault?: Pick<Fault, 'timeout' | 'delay_ms'>;
  /** A refund accepted by this call (not a replay): its notify is the route's to schedule. */
  refund?: SimRefund;
  order?: SimOrder;
  scenario?: Scenario;
}

/** What a v3 answer is built from. */
export interface V3ApiResult extends ApiResult {
  signer: SignerMode;
  /** The order the call is about, as it stands after the call. */
  current?: SimOrder;
  /** The refund a refund call is about (created now or before). */
  record?: SimRefund;
}

type PayResult = { ok: true; order: SimOrder; scenario: Scenario } | { ok: false; refusal: PayRefusal } | { ok: false; user_action: 'cancel' | 'fail' };

export type CodeExchange = { ok: true; code: OauthCode } | { ok: false; errcode: 40029 | 40163 };

/** What a merchant API call needs to know beyond its verified fields (the DO never reads the config). */
export interface ApiContext {
  /** Which bound application the request's appid is. */
  appKind: AppKind;
  /** The simulator's base URL (`<origin>/sandbox`), for the `mweb_url`s it issues. */
  sandboxBase: string;
}

export class SandboxMerchant extends DurableObject<Env> {
  private get store(): SimStore {
    return new SimStore(this.ctx.storage.kv);
  }

  /** The simulator's clock: real time plus the offset set by `POST /sandbox/sim/clock`. */
  now(): number {
    return Date.now() + this.store.clockOffset();
  }

  clock(): { now: number; offset_ms: number } {
    return { now: this.now(), offset_ms: this.store.clockOffset() };
  }

  setClockOffset(offsetMs: number): { now: number; offset_ms: number } {
    this.store.setClockOffset(offsetMs);
    return this.clock();
  }

  /**
   * Whether `openid` is a buyer under `appId` (openids are per appid, docs/wechatpay-v2.md §5): a test
   * user's, or a name registered under that appid. `appId` is passed by every caller that needs it: the
   * DO never reads the merchant's config.
   */
  isOurOpenid(appId: string, openid: string): boolean {
    return TEST_USERS.some((u) => openidFor(appId, u.name) === openid) || this.store.userName(appId, openid) !== undefined;
  }

  scenario(key: string): Scenario | undefined {
    return this.store.scenario<Scenario>(key);
  }

  /** The scenario in force for an order: its own, else the `*` one. */
  scenarioFor(outTradeNo: string | undefined): Scenario {
    const s = this.store;
    return (outTradeNo !== undefined ? s.scenario<Scenario>(outTradeNo) : undefined) ?? s.scenario<Scenario>(ANY_ORDER) ?? {};
  }

  setScenario(key: string, scenario: Scenario | undefined): void {
    this.store.putScenario(key, scenario);
  }

  calls(outTradeNo: string): CallRecord[] {
    return this.store.calls(outTradeNo);
  }

  /** Files a call that failed before its signature was accepted (return_code=FAIL). */
  recordRejected(endpoint: Endpoint, outTradeNo: string | undefined, returnMsg: string): void {
    if (outTradeNo) this.store.addCall(outTradeNo, { endpoint, at: this.now(), return_code: 'FAIL', err_code: returnMsg });
  }

  /** The out_trade_no a verified call is about: scenarios and the call log are filed under it. */
  private subject(store: SimStore, endpoint: Endpoint, f: Record<string, string>): string | undefined {
    if (endpoint === 'downloadbill') return undefined;
    if (endpoint === 'refundquery' && (f.refund_id || f.out_refund_no)) {
      const r = f.refund_id ? store.refundById(f.refund_id) : store.refund(f.out_refund_no!);
      if (r) return r.out_trade_no;
    }
    if (f.transaction_id) return store.orderByTransaction(f.transaction_id)?.out_trade_no ?? f.out_trade_no;
    return f.out_trade_no;
  }

  /** One verified merchant API call (not downloadbill), v2 or v3: faults, then WeChat's decision, then the call log. */
  api(endpoint: Exclude<Endpoint, 'downloadbill'>, req: VerifiedRequest, ctx: ApiContext): ApiResult {
    const store = this.store;
    const now = this.now();
    const outTradeNo = this.subject(store, endpoint, req.fields);
    const scenario = this.scenarioFor(outTradeNo);
    const fault = this.takeFault(outTradeNo, endpoint);
    let result: ApiResult;
    if (fault?.error) {
      result = { outcome: bizFail(fault.error, ERR_CODE_DES[fault.error] ?? '系统错误') };
    } else {
      result = this.decide(store, now, endpoint, req, scenario, ctx);
      if (fault) result.fault = { timeout: fault.timeout, delay_ms: fault.delay_ms };
    }
    result.scenario = scenario;
    if (outTradeNo) {
      const o = result.outcome;
      store.addCall(outTradeNo, {
        endpoint,
        at: now,
        ...(req.signType === 'RSA' ? { api: 'v3' as const } : {}),
        return_code: o.kind === 'return_fail' ? 'FAIL' : 'SUCCESS',
        ...(o.kind === 'return_fail' ? {} : { result_code: o.kind === 'ok' ? 'SUCCESS' : 'FAIL' }),
        ...(o.kind === 'biz_fail' ? { err_code: o.err_code } : {}),
        ...(fault ? { fault: fault.error ?? (fault.timeout ? 'timeout' : 'delay') } : {}),
      });
    }
    return result;
  }

  private decide(
    store: SimStore,
    now: number,
    endpoint: Exclude<Endpoint, 'downloadbill'>,
    req: VerifiedRequest,
    scenario: Scenario,
    ctx: ApiContext,
  ): ApiResult {
    switch (endpoint) {
      case 'unifiedorder': {
        const appId = req.fields.appid!;
        return { outcome: unifiedOrder({ store, now, ...ctx, isOurOpenid: (o) => this.isOurOpenid(appId, o) }, req) };
      }
      case 'orderquery':
        return { outcome: orderQuery(store, req) };
      case 'closeorder':
        return { outcome: closeOrder(store, now, req) };
      case 'refundquery':
        return { outcome: refundQuery(store, req) };
      case 'refund': {
        const r = refund({ store, now, finalStatus: scenario.refund_status ?? 'SUCCESS' }, req);
        const order = r.refund ? store.order(r.refund.out_trade_no) : undefined;
        return { outcome: r, ...(r.created ? { refund: r.refund } : {}), ...(order ? { order } : {}) };
      }
    }
  }

  private takeFault(outTradeNo: string | undefined, endpoint: Endpoint): Fault | undefined {
    const store = this.store;
    for (const key of outTradeNo !== undefined && store.scenario(outTradeNo) ? [outTradeNo] : [ANY_ORDER]) {
      const { fault, rest } = takeFault(store.scenario<Scenario>(key), endpoint);
      if (fault) {
        store.putScenario(key, rest);
        return fault;
      }
    }
    return undefined;
  }

  /**
   * With `gzip`, the bill is compressed here and only the bytes cross the RPC boundary: a
   * 100,000-row bill's text is larger than RPC's 32 MiB limit, its gzip a few MB.
   */
  async downloadBill(
    m: BillMerchant,
    billDate: string | undefined,
    billType: string,
    gzip = false,
  ): Promise<{ result: BillResult; gzipped?: ArrayBuffer; fault?: Fault }> {
    const fault = this.takeFault(undefined, 'downloadbill');
    if (fault?.error) return { result: { ok: false, return_msg: fault.error, error_code: '20001' } };
    return { ...(await this.bill(m, billDate, billType, gzip)), ...(fault ? { fault } : {}) };
  }

  private async bill(m: BillMerchant, billDate: string | undefined, billType: string, gzip: boolean): Promise<{ result: BillResult; gzipped?: ArrayBuffer }> {
    const result = downloadBill(this.store, this.now(), m, billDate, billType);
    if (!gzip || !result.ok) return { result };
    const stream = new Blob([new TextEncoder().encode(result.text)]).stream().pipeThrough(new CompressionStream('gzip'));
    return { result: { ok: true, text: '' }, gzipped: await new Response(stream).arrayBuffer() };
  }

  // ---- API v3 (src/sandbox/v3/) ----

  v3Signer(): SignerMode {
    return this.store.setting<SignerMode>('v3_signer') ?? DEFAULT_SIGNER_MODE;
  }

  setV3Signer(mode: SignerMode): SignerMode {
    this.store.putSetting('v3_signer', mode);
    return mode;
  }

  /** The key that signs the next v3 notify (switching mode alternates: public key, certificate, …). */
  nextV3NotifyKey(): SimKey {
    const seq = this.store.setting<number>('v3_notify_seq') ?? 0;
    this.store.putSetting('v3_notify_seq', seq + 1);
    return notifyKey(this.v3Signer(), seq);
  }

  /** `api()` for a v3 call, with what its answer is built from: the order and refund as they now stand, and the signer mode. */
  apiV3(endpoint: Exclude<Endpoint, 'downloadbill'>, req: VerifiedRequest, ctx: ApiContext): V3ApiResult {
    const result = this.api(endpoint, req, ctx);
    const store = this.store;
    const f = req.fields;
    const refund = endpoint === 'refund' || endpoint === 'refundquery' ? store.refund(f.out_refund_no ?? '') : undefined;
    const order = refund ? store.order(refund.out_trade_no) : findOrder(store, f);
    return { ...result, signer: this.v3Signer(), ...(order ? { current: order } : {}), ...(refund ? { record: refund } : {}) };
  }

  /**
   * `GET /v3/bill/tradebill`: the v2 bill decision (faults of `downloadbill` included), its SHA-1 over the
   * uncompressed text, and a download token valid `ttlMs` on the sandbox clock.
   */
  async v3TradeBill(
    m: BillMerchant,
    billDate: string,
    billType: string,
    gzip: boolean,
    ttlMs: number,
  ): Promise<{ ok: true; sha1: string; token: string; fault?: Fault } | { ok: false; return_msg: string; error_code: string; fault?: Fault }> {
    const { result, fault } = await this.downloadBill(m, billDate, billType, false);
    const extra = fault ? { fault } : {};
    if (!result.ok) return { ...result, ...extra };
    const sha1 = bytesToHex(new Uint8Array(await crypto.subtle.digest('SHA-1', new TextEncoder().encode(result.text))));
    const token = newOauthCode();
    this.store.putBillTicket(token, { bill_date: billDate, bill_type: billType, gzip, expires_at: this.now() + ttlMs });
    return { ok: true, sha1, token, ...extra };
  }

  /** The file a `download_url` names, or null when its token is unknown or has expired. */
  async v3BillFile(m: BillMerchant, token: string): Promise<{ result: BillResult; gzipped?: ArrayBuffer } | null> {
    const t = this.store.billTicket(token);
    if (!t || this.now() >= t.expires_at) return null;
    return this.bill(m, t.bill_date, t.bill_type, t.gzip);
  }

  /** What the pay sheet shows for a prepay, or why it cannot be paid. */
  prepay(prepayId: string): { ok: true; order: SimOrder; scenario: Scenario } | { ok: false; refusal: PayRefusal } {
    return this.payable({ kind: 'prepay_id', prepay_id: prepayId });
  }

  /** The order a buyer's handle (prepay_id, code_url, mweb_url) reaches, or why it cannot be paid now. */
  payable(handle: PayHandle): { ok: true; order: SimOrder; scenario: Scenario } | { ok: false; refusal: PayRefusal } {
    const found = payableHandle(this.store, this.now(), handle);
    if ('refusal' in found) return { ok: false, refusal: found.refusal };
    return { ok: true, order: found.order, scenario: this.scenarioFor(found.order.out_trade_no) };
  }

  /** The `mweb_url` these parameters name, with its order's `spbill_create_ip` and the simulator's `now`, if issued. */
  mwebTicket(prepayId: string, pkg: string): { issued_at: number; spbill_create_ip: string; now: number } | undefined {
    const t = this.store.mweb(pkg);
    const o = t && t.prepay_id === prepayId ? this.store.order(t.out_trade_no) : undefined;
    return t && o ? { issued_at: t.issued_at, spbill_create_ip: o.params.spbill_create_ip ?? '', now: this.now() } : undefined;
  }

  /**
   * The buyer `openid` pays the order the handle reaches: the one payment path of the pay sheet, the
   * scan and H5 pages, the APP and mini-program controls and `POST /sandbox/sim/pay`.
   */
  pay(handle: PayHandle, openid: string): PayResult {
    const store = this.store;
    const now = this.now();
    const found = payableHandle(store, now, handle);
    if ('refusal' in found) return { ok: false, refusal: found.refusal };
    if (!payerAllowed(found.order, openid, (a, o) => this.isOurOpenid(a, o))) return { ok: false, refusal: 'OPENID_MISMATCH' };
    const scenario = this.scenarioFor(found.order.out_trade_no);
    if (scenario.user_action === 'cancel' || scenario.user_action === 'fail') return { ok: false, user_action: scenario.user_action };
    return { ok: true, order: markPaid(store, now, found.order, openid), scenario };
  }

  /** Benchmarks: synthetic paid trades written straight into the store (src/sandbox/bulk.ts). */
  bulkTrades(appId: string, billDate: string, start: number, n: number, count: number): { written: number } {
    writeBulkTrades(this.store, appId, billDate, start, n, count);
    return { written: n };
  }

  order(outTradeNo: string): SimOrder | undefined {
    return findOrder(this.store, { out_trade_no: outTradeNo });
  }

  refundRecord(outRefundNo: string): SimRefund | undefined {
    return this.store.refund(outRefundNo);
  }

  // ---- OAuth and mini-program login ----

  /** Registers a pick-page name as a buyer of this appid; returns its openid (its own under each appid). */
  registerUser(appId: string, name: string): string {
    const openid = openidFor(appId, name);
    if (!fixedUser(name)) this.store.putUser(appId, openid, name);
    return openid;
  }

  users(appId: string): { name: string; openid: string; snapshot: boolean }[] {
    const fixed = TEST_USERS.map((u) => ({ name: u.name, openid: openidFor(appId, u.name), snapshot: u.snapshot }));
    const entered = [...this.store.users(appId)].map(([openid, name]) => ({ name, openid, snapshot: false }));
    return [...fixed, ...entered];
  }

  /** An OAuth code (公众号 web authorisation) or a mini-program `wx.login()` js_code for `name` under `appId`. */
  issueCode(appId: string, name: string, scope: string, kind: 'oauth' | 'jscode' = 'oauth'): string {
    const code = newOauthCode();
    const openid = this.registerUser(appId, name);
    this.store.putCode(code, { openid, appid: appId, kind, scope, snapshot: fixedUser(name)?.snapshot ?? false, created_at: this.now() });
    return code;
  }

  /**
   * Single use, 5 minutes (docs/wechatpay-v2.md §5; js_code: docs/wechatpay-v2.md §23.3): 40163 once used,
   * 40029 when unknown, expired, or issued for another appid or kind (a failed exchange never consumes it).
   */
  exchangeCode(code: string, appId: string, kind: 'oauth' | 'jscode' = 'oauth'): CodeExchange {
    const store = this.store;
    const c = store.code(code);
    if (!c || c.appid !== appId || (c.kind ?? 'oauth') !== kind) return { ok: false, errcode: 40029 };
    if (c.used_at !== undefined) return { ok: false, errcode: 40163 };
    const now = this.now();
    if (now - c.created_at >= OAUTH_CODE_TTL_MS) return { ok: false, errcode: 40029 };
    store.putCode(code, { ...c, used_at: now });
    return { ok: true, code: c };
  }

  // ---- the test receiver (`/sandbox/sim/receiver/:name`) ----

  configureReceiver(name: string, config: ReceiverConfig): ReceiverState {
    const r = this.store.receiver(name);
    r.config = config;
    this.store.putReceiver(name, r);
    return r;
  }

  receiverState(name: string): ReceiverState {
    return this.store.receiver(name);
  }

  /** Records a delivery and decides the reply: a failure while fail_times lasts, then SUCCESS. */
  receive(name: string, body: string, headers: Record<string, string> = {}): 'ack' | ReceiverConfig['fail_with'] {
    const r = this.store.receiver(name);
    const fail = r.config.fail_times > 0;
    if (fail) r.config = { ...r.config, fail_times: r.config.fail_times - 1 };
    const reply = fail ? r.config.fail_with : 'ack';
    r.received.push({ at: Date.now(), body, reply, ...(Object.keys(headers).length ? { headers } : {}) });
    this.store.putReceiver(name, r);
    return reply;
  }
}
