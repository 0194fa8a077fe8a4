/**
 * The one way a simulated buyer pays, shared by every buyer surface (the pay sheet, the NATIVE scan
 * page, the MWEB page, the APP and mini-program controls, `POST /sandbox/sim/pay`): the merchant Durable
 * Object decides (scenario `user_action` included), then the payment notify is scheduled with its first
 * attempt inline, exactly as the pay sheet has always done.
 */
import type { Delivery } from '../delivery-do';
import { schedulePayNotify } from '../deliveries';
import { merchantStub } from '../hono-env';
import type { SimMerchant } from '../settings';
import type { SimOrder } from '../state';
import type { PayHandle, PayRefusal } from '../trade';

export type PayOutcome =
  | { ok: true; order: SimOrder; notify: Pick<Delivery, 'state' | 'attempts'> | null }
  | { ok: false; refusal: PayRefusal }
  | { ok: false; user_action: 'cancel' | 'fail' };

export async function payAndNotify(env: Env, m: SimMerchant, handle: PayHandle, openid: string): Promise<PayOutcome> {
  const paid = await merchantStub(env, m.mchId).pay(handle, openid);
  if (!paid.ok) return paid;
  // The first delivery attempt runs before we answer, so callers see its effect deterministically.
  const delivery = await schedulePayNotify(env, m, paid.order, paid.scenario, true);
  return { ok: true, order: paid.order, notify: delivery ? { state: delivery.state, attempts: delivery.attempts } : null };
}

export const refusalStatus = (r: PayRefusal) => (r === 'PREPAY_NOT_FOUND' ? 404 : r === 'OPENID_MISMATCH' ? 403 : 409);

/** An `mweb_url` as the simulator issues it (`…/mweb?prepay_id=…&package=…`), or null. */
export function parseMwebUrl(url: string): Extract<PayHandle, { kind: 'mweb_url' }> | null {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return null;
  }
  const prepayId = u.searchParams.get('prepay_id');
  const pkg = u.searchParams.get('package');
  if (!u.pathname.endsWith('/mweb') || !prepayId || !pkg) return null;
  return { kind: 'mweb_url', prepay_id: prepayId, package: pkg };
}

export async function jsonBody(req: Request): Promise<Record<string, unknown> | null> {
  try {
    const v: unknown = await req.json();
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}
