// WeChat's callbacks: POST /wechat/notify (payment) and POST /wechat/refund-notify in API v2, POST
// /wechat/v3/notify and /wechat/v3/refund-notify in API v3 — all four mounted whatever
// WECHAT_API_VERSION says (a notify follows the version its order was placed under). No auth, CSRF,
// Origin or query parameters (I11): the body (and for v3 its signature headers) is the only input.
// Every reply is one of the frozen replies of its version, within 5 s (I4).
import { Hono, type Context } from 'hono';
import type { NotifyReplyName } from '../../core';
import { notifyReply, notifyReplyV3 } from '../platform/http-answers';
import type { HonoEnv } from '../platform/env';
import type { NotifyDeps, NotifyVerdict } from './inbound';
import { handlePayNotify } from './pay-notify';
import { handleRefundNotify } from './refund-notify';
import { handleV3PayNotify, handleV3RefundNotify } from './v3-notify';
import { configured } from '../platform/middleware/require-config';
import { errorName, log } from '../platform/log';
import { D1_ROUND_TRIPS_HEADER, metered } from '../platform/d1-meter';
import { sendAutomaticRefunds } from '../refunds';

/** Internal deadline: past it the reply is RETRY, well inside WeChat's 5 s (docs/reliability.md I4). */
export const NOTIFY_DEADLINE_MS = 4_000;

async function withDeadline(work: Promise<NotifyVerdict>, deadlineMs: number): Promise<NotifyVerdict> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<NotifyVerdict>((resolve) => {
    timer = setTimeout(() => resolve({ reply: 'RETRY', outcome: 'DEADLINE' }), deadlineMs);
  });
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/** Notify outcomes whose commit filed an automatic refund (a payment after close: under LATE_PAYMENT_POLICY=refund). */
const AUTOMATIC_REFUND_OUTCOMES: ReadonlySet<string> = new Set(['DUPLICATE_PAYMENT', 'PAID_AFTER_CLOSE']);

type Handler = (req: Request, deps: NotifyDeps) => Promise<NotifyVerdict>;
type Render = (name: NotifyReplyName) => Response;

/** Fail closed (I12): RETRY, and WeChat retries once we are configured. */
const configuredOrRetry = (render: Render) =>
  configured((c) => {
    c.set('outcome', 'CONFIG_INVALID');
    return render('RETRY');
  });

/** Sandbox mode: the verdict with the D1 round trips its request made, worker and Durable Objects together. */
async function meteredHandle(c: Context<HonoEnv>, handle: Handler): Promise<NotifyVerdict & { roundTrips?: number }> {
  const run = () => handle(c.req.raw, c.var.factory.notify(c.env, c.executionCtx, c.var.config, new Date()));
  if (c.var.config.mode !== 'sandbox') return run();
  const { value, roundTrips } = await metered(run);
  return { ...value, roundTrips };
}

async function serve(c: Context<HonoEnv>, handle: Handler, deadlineMs: number, render: Render = notifyReply): Promise<Response> {
  const ctx = c.executionCtx;
  const work = meteredHandle(c, handle).catch((e: unknown): NotifyVerdict & { roundTrips?: number } => {
    // Infrastructure failure before commit: nothing partial was written (one batch), WeChat retries.
    log.error('NOTIFY_INFRA_ERROR', { requestId: c.get('requestId'), error: errorName(e) });
    return { reply: 'RETRY', outcome: 'INFRA_ERROR' };
  });
  ctx.waitUntil(work); // past the deadline the work may still commit; that is safe (I3)
  // Money that came in twice, or after the order closed, goes back now, after the reply (the lifecycle sweep is the backstop).
  ctx.waitUntil(work.then((v) => (AUTOMATIC_REFUND_OUTCOMES.has(v.outcome) && v.outTradeNo ? sendAutomaticRefunds(c.var.deps, v.outTradeNo) : undefined)));
  const verdict: NotifyVerdict & { roundTrips?: number } = await withDeadline(work, deadlineMs);
  c.set('outcome', verdict.outcome);
  if (verdict.outTradeNo) c.set('outTradeNo', verdict.outTradeNo);
  const res = render(verdict.reply);
  // Sandbox mode only (live never counts): what tests and `npm run bench:load` read.
  if (verdict.roundTrips !== undefined) res.headers.set(D1_ROUND_TRIPS_HEADER, String(verdict.roundTrips));
  return res;
}

interface NotifyRoutesOptions {
  /** Tests inject their own so that no assertion depends on how fast the machine is. */
  deadlineMs?: number;
}

export function notifyRoutes({ deadlineMs = NOTIFY_DEADLINE_MS }: NotifyRoutesOptions = {}) {
  const notAllowed = () => notifyReply('NOT_ALLOWED');
  const notAllowedV3 = () => notifyReplyV3('NOT_ALLOWED');
  return new Hono<HonoEnv>()
    .post('/wechat/notify', configuredOrRetry(notifyReply), (c) => serve(c, handlePayNotify, deadlineMs))
    .post('/wechat/refund-notify', configuredOrRetry(notifyReply), (c) => serve(c, handleRefundNotify, deadlineMs))
    .post('/wechat/v3/notify', configuredOrRetry(notifyReplyV3), (c) => serve(c, handleV3PayNotify, deadlineMs, notifyReplyV3))
    .post('/wechat/v3/refund-notify', configuredOrRetry(notifyReplyV3), (c) => serve(c, handleV3RefundNotify, deadlineMs, notifyReplyV3))
    .all('/wechat/notify', notAllowed)
    .all('/wechat/refund-notify', notAllowed)
    .all('/wechat/v3/notify', notAllowedV3)
    .all('/wechat/v3/refund-notify', notAllowedV3);
}
