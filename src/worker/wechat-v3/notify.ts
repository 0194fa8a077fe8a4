/**
 * Reading API v3 notifies (docs/wechatpay-v3.md §8): the signature first, over the RAW bytes received,
 * by the key Wechatpay-Serial names (public key or platform certificate: both during a switch), within
 * ±5 minutes of the arrival — before anything in the body is believed; then the envelope's
 * resource_type and algorithm; then the AES-256-GCM resource under the APIv3 key. What comes out is
 * the notice both API versions share (channel/channel.ts), for the one set of checks in notify/.
 * Refusals: SIGN_ERROR (not authentic: 401), PARAM_ERROR (authentic but unopenable: 400).
 */
import { AES_GCM_ALGORITHM, decryptResource, sha256Hex, v3SignedHeaders, verifyV3Signature } from '../../core';
import type { PaymentNotice, RefundNotice, V3NotifyMessage, V3NotifyReader, V3NotifyReading } from '../channel';
import { obj, str } from './call';
import { apiV3Key } from './keys';
import { keyFor } from './key-store';
import { REFUND_STATUS_V3 } from './refunds';
import type { V3Deps } from './request';
import { refundTimeOf, timeEndOf } from './time';

type Json = Record<string, unknown>;

interface Opened {
  readonly event: Json;
  readonly resource: Json;
  readonly plaintext: string;
}

function parseObject(text: string | Uint8Array): Json | null {
  try {
    const v: unknown = JSON.parse(typeof text === 'string' ? text : new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(text));
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : null;
  } catch {
    return null;
  }
}

/** Fen as text for the shared checks: an integer as its digits, anything else as JSON (which parseFen refuses). */
function fenText(v: unknown): string | undefined {
  if (v === undefined) return undefined;
  return typeof v === 'number' && Number.isSafeInteger(v) ? String(v) : JSON.stringify(v);
}

/** Verifies, checks the envelope and decrypts; the refusal otherwise. */
async function open(deps: V3Deps, m: V3NotifyMessage): Promise<Opened | Extract<V3NotifyReading<never>, { ok: false }>> {
  const nowMs = m.receivedAt.getTime();
  // A notify may name a certificate this isolate has not seen: D1, then WeChat's list (each at most once a minute).
  const verified = await verifyV3Signature(v3SignedHeaders(m.headers), m.body, (serial) => keyFor(deps, serial, nowMs), Math.floor(nowMs / 1000));
  if (!verified.ok) return { ok: false, reason: `V3_${verified.reason}`, reply: 'SIGN_ERROR' };
  // Authentic from here on; what cannot be opened is WeChat's to resend (400), never applied.
  const event = parseObject(m.body);
  const enc = obj(event, 'resource');
  if (!event || str(event, 'resource_type') !== 'encrypt-resource' || !enc || str(enc, 'algorithm') !== AES_GCM_ALGORITHM) {
    return { ok: false, reason: 'V3_ENVELOPE', reply: 'PARAM_ERROR' };
  }
  const ciphertext = str(enc, 'ciphertext');
  const nonce = str(enc, 'nonce');
  const aad = enc.associated_data;
  if (ciphertext === undefined || nonce === undefined || (aad !== undefined && typeof aad !== 'string'))
    return { ok: false, reason: 'V3_ENVELOPE', reply: 'PARAM_ERROR' };
  const key = await apiV3Key(deps.v3); // a key WebCrypto refuses is CONFIG_INVALID: thrown, the route answers RETRY
  let plaintext: string;
  try {
    plaintext = await decryptResource(key, { algorithm: AES_GCM_ALGORITHM, ciphertext, nonce, associated_data: aad });
  } catch {
    return { ok: false, reason: 'V3_UNDECRYPTABLE', reply: 'PARAM_ERROR' };
  }
  const resource = parseObject(plaintext);
  if (!resource) return { ok: false, reason: 'V3_RESOURCE_MALFORMED', reply: 'PARAM_ERROR' };
  return { event, resource, plaintext };
}

/** The transaction (§6.2 shape) of a payment notify as the shared notice. */
function paymentNotice(event: Json, t: Json): PaymentNotice {
  const amount = obj(t, 'amount');
  const eventType = str(event, 'event_type') ?? null;
  const tradeState = str(t, 'trade_state') ?? null;
  return {
    appId: str(t, 'appid'),
    mchId: str(t, 'mchid'),
    outTradeNo: str(t, 'out_trade_no'),
    transactionId: str(t, 'transaction_id'),
    totalFee: fenText(amount?.total),
    cashFee: fenText(amount?.payer_total),
    feeType: str(amount, 'currency'),
    // §8.3: the event must agree with the state it reports.
    succeeded: eventType === 'TRANSACTION.SUCCESS' && tradeState === 'SUCCESS',
    failure: { event_type: eventType, trade_state: tradeState },
    tradeType: str(t, 'trade_type'),
    openid: str(obj(t, 'payer'), 'openid'),
    bankType: str(t, 'bank_type'),
    timeEnd: timeEndOf(t.success_time),
  };
}

/** A refund notify's resource as the shared notice. It carries no appid; its status must agree with the event. */
function refundNotice(event: Json, r: Json): RefundNotice {
  const amount = obj(r, 'amount');
  const reported = str(r, 'refund_status');
  const eventType = str(event, 'event_type');
  const agrees = reported !== undefined && eventType === `REFUND.${reported}`;
  return {
    appId: null,
    mchId: str(r, 'mchid'),
    outTradeNo: str(r, 'out_trade_no'),
    outRefundNo: str(r, 'out_refund_no'),
    refundId: str(r, 'refund_id'),
    // An unknown or contradicted status stays what was reported, which no check accepts as final.
    status: agrees ? (REFUND_STATUS_V3[reported] ?? reported) : `${eventType ?? ''}/${reported ?? ''}`,
    refundFee: fenText(amount?.refund),
    totalFee: fenText(amount?.total),
    successTime: refundTimeOf(r.success_time),
  };
}

/**
 * The v3 notify reader. `messageKey` hashes the decrypted resource: a re-delivery (new envelope id,
 * timestamp, nonce, even a fresh encryption) of the same message is the same message.
 */
export function v3NotifyReader(deps: V3Deps): V3NotifyReader {
  return {
    async readPayNotifyV3(m) {
      const opened = await open(deps, m);
      if (!('resource' in opened)) return opened;
      return {
        ok: true,
        notice: paymentNotice(opened.event, opened.resource),
        messageKey: await sha256Hex(`PAY-V3\n${opened.plaintext}`),
        resource: opened.plaintext,
      };
    },
    async readRefundNotifyV3(m) {
      const opened = await open(deps, m);
      if (!('resource' in opened)) return opened;
      return {
        ok: true,
        notice: refundNotice(opened.event, opened.resource),
        messageKey: await sha256Hex(`REFUND-V3\n${opened.plaintext}`),
        resource: opened.plaintext,
      };
    },
  };
}
