// POST /wechat/notify (payment) and POST /wechat/refund-notify: WeChat's callbacks. No auth, CSRF,
// Origin or query parameters (I11): the body is the only input. Every reply is one of the frozen
// §3.1 replies, within 5 s (I4).
import { Hono, type Context } from 'hono';
import { notifyReply } from '../http-answers';
import type { HonoEnv } from '../env';
import type { NotifyDeps, NotifyVerdict } from '../notify/inbound';
import { handlePayNotify } from '../notify/pay-notify';
import { handleRefundNotify } from '../notify/refund-notify';
import { requestConfig } from '../middleware/require-config';
import { notifyDeps } from '../wiring';

/** Internal deadline: past it the reply is RETRY, well inside WeChat's 5 s (docs/reliability.md I4). */
export const NOTIFY_DEADLINE_MS = 4_000;

async function withDeadline(work: Promise<NotifyVerdict>): Promise<NotifyVerdict> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<NotifyVerdict>((resolve) => {
    timer = setTimeout(() => resolve({ reply: 'RETRY', outcome: 'DEADLINE' }), NOTIFY_DEADLINE_MS);
  });
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

type Handler = (req: Request, deps: NotifyDeps) => Promise<NotifyVerdict>;

async function serve(c: Context<HonoEnv>, handle: Handler): Promise<Response> {
  if (c.req.method !== 'POST') return notifyReply('NOT_ALLOWED');
  const result = requestConfig(c);
  if (!result.ok) {
    c.set('outcome', 'CONFIG_INVALID'); // fail closed (I12); WeChat retries once we are configured
    return notifyReply('RETRY');
  }
  const ctx = c.executionCtx;
  const work = handle(c.req.raw, notifyDeps(c.env, ctx, result.config, new Date())).catch((e: unknown): NotifyVerdict => {
    // Infrastructure failure before commit: nothing partial was written (one batch), WeChat retries.
    console.error(
      JSON.stringify({ level: 'error', event: 'NOTIFY_INFRA_ERROR', requestId: c.get('requestId'), error: e instanceof Error ? e.name : 'unknown' }),
    );
    return { reply: 'RETRY', outcome: 'INFRA_ERROR' };
  });
  ctx.waitUntil(work); // past the deadline the work may still commit; that is safe (I3)
  const verdict = await withDeadline(work);
  c.set('outcome', verdict.outcome);
  if (verdict.outTradeNo) c.set('outTradeNo', verdict.outTradeNo);
  return notifyReply(verdict.reply);
}

export const notify = new Hono<HonoEnv>()
  .all('/wechat/notify', (c) => serve(c, handlePayNotify))
  .all('/wechat/refund-notify', (c) => serve(c, handleRefundNotify));
