/**
 * API v3 notifies (docs/wechatpay-v3.md §8): the envelope `{id, create_time, event_type, resource_type,
 * summary, resource}` whose resource is the AEAD_AES_256_GCM encryption, under the merchant's APIv3 key,
 * of the transaction (§6.2) or the refund notify object (§8.2), signed per §3. The simulator delivers
 * these; tests import them (through src/sandbox/notify.ts) to forge and tamper notifies of their own.
 */
import { encryptResource, formatV3Time, importApiV3Key, nonceStr, SANDBOX_APIV3_KEY } from '../../core';
import { newTransactionId } from '../ids';
import { openidFor } from '../users';
import type { Json } from './json';
import { v3SignatureHeaders, type SignatureOptions, type V3Signer } from './signer';

export interface V3NotifyOptions extends SignatureOptions {
  /** Encrypts the resource; default the sandbox merchant's (SANDBOX_APIV3_KEY). */
  apiV3Key?: string;
  /** Signs the headers: `public_key` (default), `certificate`, or any `{serial, privateKey}` (a forger's). */
  signer?: V3Signer;
  /** Envelope fields; defaults: a fresh UUID, now (+08:00), the event's usual type and summary. */
  id?: string;
  createTime?: string;
  eventType?: string;
  summary?: string;
  /** The resource's 12-character nonce; default random. */
  resourceNonce?: string;
}

export interface V3Notify {
  /** The exact bytes to POST. */
  body: string;
  /** Content-Type and the five Wechatpay-* headers over `body`. */
  headers: Record<string, string>;
}

const aesKeys = new Map<string, Promise<CryptoKey>>();

/** The APIv3 key as an AES-GCM key, imported once per isolate. */
export function apiV3AesKey(apiV3Key: string): Promise<CryptoKey> {
  let k = aesKeys.get(apiV3Key);
  if (!k) {
    k = importApiV3Key(apiV3Key);
    k.catch(() => aesKeys.delete(apiV3Key));
    aesKeys.set(apiV3Key, k);
  }
  return k;
}

/** The envelope body alone (not signed): for the delivery, which signs each attempt afresh. */
export async function v3NotifyBody(plain: Json, originalType: 'transaction' | 'refund', eventType: string, summary: string, opts: V3NotifyOptions = {}) {
  const resource = await encryptResource(
    await apiV3AesKey(opts.apiV3Key ?? SANDBOX_APIV3_KEY),
    JSON.stringify(plain),
    opts.resourceNonce ?? nonceStr(12),
    originalType,
    originalType,
  );
  return JSON.stringify({
    id: opts.id ?? crypto.randomUUID(),
    create_time: opts.createTime ?? formatV3Time(new Date()),
    resource_type: 'encrypt-resource',
    event_type: opts.eventType ?? eventType,
    summary: opts.summary ?? summary,
    resource: {
      original_type: resource.original_type,
      algorithm: resource.algorithm,
      ciphertext: resource.ciphertext,
      associated_data: resource.associated_data,
      nonce: resource.nonce,
    },
  });
}

async function signed(body: string, opts: V3NotifyOptions): Promise<V3Notify> {
  const headers = await v3SignatureHeaders(body, opts.signer ?? 'public_key', opts);
  return { body, headers: { 'Content-Type': 'application/json', ...headers } };
}

/** The merchant and application a forged transaction defaults to (the sandbox's when not given). */
export interface V3NotifyParty {
  appId: string;
  mchId: string;
}

/**
 * A TRANSACTION.SUCCESS notify. `transaction` overrides the defaults key by key (a key set to
 * `undefined` is dropped): appid/mchid of `party`, trade_type JSAPI, trade_state SUCCESS, bank_type
 * CMB_DEBIT, a fresh transaction_id, success_time now, payer test user alice under the appid, and
 * `amount` {total, payer_total, currency CNY, payer_currency CNY} from `amount.total`.
 */
export async function buildV3PayNotify(
  transaction: Json & { out_trade_no: string; amount: Json & { total: number } },
  party: V3NotifyParty,
  opts: V3NotifyOptions = {},
): Promise<V3Notify> {
  const now = Date.now();
  const total = transaction.amount.total;
  const merged: Json = {
    appid: party.appId,
    mchid: party.mchId,
    transaction_id: newTransactionId(now),
    trade_type: 'JSAPI',
    trade_state: 'SUCCESS',
    trade_state_desc: '支付成功',
    bank_type: 'CMB_DEBIT',
    success_time: formatV3Time(new Date(now)),
    payer: { openid: openidFor(party.appId, 'alice') },
    ...transaction,
    amount: { payer_total: total, currency: 'CNY', payer_currency: 'CNY', ...transaction.amount },
  };
  const plain = Object.fromEntries(Object.entries(merged).filter(([, v]) => v !== undefined));
  return signed(await v3NotifyBody(plain, 'transaction', 'TRANSACTION.SUCCESS', '支付成功', opts), opts);
}

const REFUND_EVENTS: Readonly<Record<string, [string, string]>> = {
  SUCCESS: ['REFUND.SUCCESS', '退款成功'],
  CLOSED: ['REFUND.CLOSED', '退款关闭'],
  ABNORMAL: ['REFUND.ABNORMAL', '退款异常'],
};

/** The event type and summary of a refund notify, by its `refund_status`. */
export function refundEvent(refundStatus: unknown): [string, string] {
  return REFUND_EVENTS[String(refundStatus)] ?? REFUND_EVENTS.SUCCESS!;
}

/**
 * A refund notify: `refund` is the decrypted object as sent (mchid, transaction_id, out_trade_no,
 * refund_id, out_refund_no, refund_status, success_time?, user_received_account, amount); the event
 * type follows its refund_status (REFUND.SUCCESS, REFUND.CLOSED, REFUND.ABNORMAL) unless `opts.eventType`.
 */
export async function buildV3RefundNotify(refund: Json & { refund_status: string }, opts: V3NotifyOptions = {}): Promise<V3Notify> {
  const [eventType, summary] = refundEvent(refund.refund_status);
  return signed(await v3NotifyBody(refund, 'refund', eventType, summary, opts), opts);
}
