// Cron Triggers (wrangler.toml [triggers]): one job per cron expression. Adding a schedule is one
// entry in JOBS and one expression in `crons` (top level and [env.live.triggers]).
import { getConfig } from './config';
import { runLifecycleTick } from './lifecycle/tick';
import { gatewayDeps } from './wiring';

type Job = (env: Env, ctx: ExecutionContext, scheduledTime: number) => Promise<void>;

/** The lifecycle tick, every minute: missed notifies, expiry, stuck refunds, the webhook outbox. Its clock is the scheduled time. */
const lifecycle: Job = async (env, ctx, scheduledTime) => {
  const parsed = getConfig(env);
  if (!parsed.ok) {
    console.error(JSON.stringify({ level: 'error', event: 'CONFIG_INVALID', job: 'lifecycle', problems: parsed.problems }));
    return;
  }
  const deps = { ...gatewayDeps(env, ctx, parsed.config), now: () => scheduledTime };
  const report = await runLifecycleTick(deps);
  console.log(JSON.stringify({ level: 'info', event: 'LIFECYCLE_TICK', ...report }));
};

export const JOBS: Readonly<Record<string, Job>> = {
  '* * * * *': lifecycle,
};

export async function handleScheduled(controller: ScheduledController, env: Env, ctx: ExecutionContext): Promise<void> {
  const job = JOBS[controller.cron];
  if (!job) {
    console.warn(JSON.stringify({ level: 'warn', event: 'UNKNOWN_CRON', cron: controller.cron }));
    return;
  }
  await job(env, ctx, controller.scheduledTime);
}
