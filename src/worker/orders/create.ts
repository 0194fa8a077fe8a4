// POST /v1/orders: insert a CREATED order, idempotent on out_trade_no by a hash of the request.
import { archivedOrder } from './archived';
import { formatWechatTime, nonceStr } from '../../core';
import type { GatewayDeps } from '../platform/deps';
import { sha256Hex } from '../../core';
import { getOrder, insertOrder, type OrderRow } from './orders-repo';
import { DomainError } from '../platform/errors';
import { storedHex } from '../platform/stored-hash';
import { DEFAULT_EXPIRES_IN_MINUTES, type CreateOrderBody } from './schemas';

/** Key order does not matter; the same logical body always hashes the same. */
function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * The Beijing date (yyyyMMdd) + 24 CSPRNG alphanumerics (~142 bits): 32 of WeChat's [A-Za-z0-9_-|*],
 * recognisable in listings and bills, and unlike an openid (`o…`) or an appid (`wx…`).
 */
function generateOutTradeNo(nowMs: number): string {
  return formatWechatTime(new Date(nowMs)).slice(0, 8) + nonceStr(24);
}

type CreateResult = { created: boolean; row: OrderRow };

export async function createOrder(deps: Pick<GatewayDeps, 'db' | 'config' | 'now' | 'archive'>, body: CreateOrderBody): Promise<CreateResult> {
  const { db, config } = deps;
  const nowMs = deps.now();
  if (body.total_fee > config.maxTotalFee) {
    throw new DomainError('TOTAL_FEE_TOO_LARGE', `total_fee must be at most ${config.maxTotalFee} fen`);
  }
  const outTradeNo = body.out_trade_no ?? generateOutTradeNo(nowMs);
  const expiresIn = body.expires_in_minutes ?? DEFAULT_EXPIRES_IN_MINUTES;
  const requestHash = await sha256Hex(stableJson({ ...body, out_trade_no: outTradeNo, expires_in_minutes: expiresIn }));
  const inserted = await insertOrder(db, {
    outTradeNo,
    description: body.description,
    totalFee: body.total_fee,
    attach: body.attach ?? null,
    metadata: body.metadata ? JSON.stringify(body.metadata) : null,
    openid: body.openid ?? null,
    signType: config.signType,
    requestHash,
    expiresAt: new Date(nowMs + expiresIn * 60_000).toISOString(),
    createdAt: new Date(nowMs).toISOString(),
  });
  const row = await getOrder(db, outTradeNo);
  if (!row && !inserted) {
    // Past the hot window (archive_lookup): the same request again is answered with the archived order;
    // anything else is a reuse WeChat would refuse too.
    const archived = await archivedOrder(deps, outTradeNo);
    if (archived && storedHex(archived.row.request_hash) === requestHash) return { created: false, row: archived.row };
    if (archived) throw new DomainError('IDEMPOTENCY_CONFLICT', 'an order with this out_trade_no exists (archived) with a different request body');
  }
  // The number WeChat already knows as another order's payment attempt (`<no>_2`): never two meanings.
  if (!row) throw new DomainError('OUT_TRADE_NO_IN_USE', 'this out_trade_no is a payment attempt of another order; choose another');
  if (!inserted && storedHex(row.request_hash) !== requestHash) {
    throw new DomainError('IDEMPOTENCY_CONFLICT', 'an order with this out_trade_no exists with a different request body');
  }
  return { created: inserted, row };
}
