// POST /wechat/notify (payment) and POST /wechat/refund-notify: WeChat's callbacks. No auth, CSRF,
// Origin or query parameters (I11): the body is the only input. Every reply is one of the frozen
// §3.1 replies, within 5 s (I4).
import { Hono, type Context } from 'hono';
import { notifyReply } from '../platform/http-answers';
import type { HonoEnv } from '../platform/env';
import type { NotifyDeps, NotifyVerdict } from './inbound';
import { handlePayNotify } from './pay-notify';
import { handleRefundNotify } from './refund-notify';
import { configured } from '../platform/middleware/require-config';
import { errorName, log } from '../platform/log';
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

/** Fail closed (I12): RETRY, and WeChat retries once we are configured. */
const configuredOrRetry = configured((c) => {
  c.set('outcome', 'CONFIG_INVALID');
  return notifyReply('RETRY');
});

async function serve(c: Context<HonoEnv>, handle: Handler, deadlineMs: number): Promise<Response> {
  const ctx = c.executionCtx;
  const work = handle(c.req.raw, c.var.factory.notify(c.env, ctx, c.var.config, new Date())).catch((e: unknown): NotifyVerdict => {
    // Infrastructure failure before commit: nothing partial was written (one batch), WeChat retries.
    log.error('NOTIFY_INFRA_ERROR', { requestId: c.get('requestId'), error: errorName(e) });
    return { reply: 'RETRY', outcome: 'INFRA_ERROR' };
  });
  ctx.waitUntil(work); // past the deadline the work may still commit; that is safe (I3)
  // Money that came in twice, or after the order closed, goes back now, after the reply (the lifecycle sweep is the backstop).
  ctx.waitUntil(work.then((v) => (AUTOMATIC_REFUND_OUTCOMES.has(v.outcome) && v.outTradeNo ? sendAutomaticRefunds(c.var.deps, v.outTradeNo) : undefined)));
  const verdict = await withDeadline(work, deadlineMs);
  c.set('outcome', verdict.outcome);
  if (verdict.outTradeNo) c.set('outTradeNo', verdict.outTradeNo);
  return notifyReply(verdict.reply);
}

interface NotifyRoutesOptions {
  /** Tests inject their own so that no assertion depends on how fast the machine is. */
  deadlineMs?: number;
}

export function notifyRoutes({ deadlineMs = NOTIFY_DEADLINE_MS }: NotifyRoutesOptions = {}) {
  const notAllowed = () => notifyReply('NOT_ALLOWED');
  return new Hono<HonoEnv>()
    .post('/wechat/notify', configuredOrRetry, (c) => serve(c, handlePayNotify, deadlineMs))
    .post('/wechat/refund-notify', configuredOrRetry, (c) => serve(c, handleRefundNotify, deadlineMs))
    .all('/wechat/notify', notAllowed)
    .all('/wechat/refund-notify', notAllowed);
}
