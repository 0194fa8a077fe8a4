// Cron Triggers (wrangler.toml [triggers]): one job per cron expression. Adding a schedule is one
// entry in JOBS and one expression in `crons` (top level and [env.live.triggers]).
import { getConfig, type Config } from '../platform/config';
import { log } from '../platform/log';
import { dueRuns } from '../reconciliation';
import { runLifecycleTick } from '../lifecycle';
import { dailyReconciliation } from '../reconciliation';
import { collectOrphans, runArchive } from '../archive';
import { runEvidence } from '../evidence';
import { gatewayDeps, maintainV3Keys, reconcilerKick } from './wiring';

type Job = (env: Env, ctx: ExecutionContext, config: Config, scheduledTime: number) => Promise<void>;

/**
 * The lifecycle tick, every minute: missed notifies, expiry, stuck refunds, the webhook outbox; on API
 * v3 first the platform certificates when due (so the tick's calls verify). Its clock is the scheduled time.
 */
const lifecycle: Job = async (env, ctx, config, scheduledTime) => {
  await maintainV3Keys(env, ctx, config, scheduledTime);
  const deps = { ...gatewayDeps(env, ctx, config), now: () => scheduledTime };
  const report = await runLifecycleTick(deps);
  log.info('LIFECYCLE_TICK', { ...report });
};

/** 02:00 UTC = 10:00 Beijing: yesterday's bill has existed since 09:00 (T+1). */
const RECONCILIATION_CRON = '0 2 * * *';

/** Reconciles the previous Beijing day, and resumes any run that is due again. */
const reconciliation: Job = async (env, ctx, config, scheduledTime) => {
  const deps = { ...gatewayDeps(env, ctx, config), now: () => scheduledTime };
  const day = await dailyReconciliation(deps, reconcilerKick(env), await dueRuns(env.DB, new Date(scheduledTime).toISOString()));
  log.info('RECONCILIATION_CRON', { billDate: day });
};

/** Every night, 01:00–04:50 Beijing, every 10 minutes: one bounded archive run each (docs/scaling.md §6). */
const ARCHIVE_CRON = '*/10 17-20 * * *';

/**
 * Moves final orders older than HOT_DAYS to R2, and the history of paid ones older than HISTORY_DAYS
 * (one run at a time, a D1 lease), then notify bodies
 * older than EVIDENCE_DAYS (evidence/: no lease needed, every clear is conditional), then deletes the objects of
 * cut runs that no part names (a few pages of the bucket a run); each resumed where the last stopped.
 */
const archive: Job = async (env, _ctx, config, scheduledTime) => {
  const report = await runArchive({
    db: env.DB,
    bucket: env.ARCHIVE,
    hotDays: config.hotDays,
    historyDays: config.historyDays,
    now: scheduledTime,
    holder: crypto.randomUUID(),
    webhooks: !!config.webhookUrl,
  });
  log.info('ARCHIVE_RUN', { ...report });
  const evidence = await runEvidence({ db: env.DB, bucket: env.ARCHIVE, evidenceDays: config.evidenceDays, now: scheduledTime });
  log.info('EVIDENCE_RUN', { ...evidence });
  // After both writers, outside the lease: its safety is the age margin, not being alone (archive/collect.ts).
  const orphans = await collectOrphans({ db: env.DB, bucket: env.ARCHIVE, now: scheduledTime });
  log.info('ORPHANS_RUN', { ...orphans });
};

const JOBS: Readonly<Record<string, Job>> = {
  '* * * * *': lifecycle,
  [RECONCILIATION_CRON]: reconciliation,
  [ARCHIVE_CRON]: archive,
};

export async function handleScheduled(controller: ScheduledController, env: Env, ctx: ExecutionContext): Promise<void> {
  const job = JOBS[controller.cron];
  if (!job) {
    log.warn('UNKNOWN_CRON', { cron: controller.cron });
    return;
  }
  const parsed = getConfig(env);
  if (!parsed.ok) {
    // Fail closed (I12): no job runs on a configuration that failed its checks.
    log.error('CONFIG_INVALID', { cron: controller.cron, problems: parsed.problems });
    return;
  }
  await job(env, ctx, parsed.config, controller.scheduledTime);
}
