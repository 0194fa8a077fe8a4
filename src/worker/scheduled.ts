// Cron Triggers, dispatched by expression (wrangler.toml [triggers]). Each case builds its use case's
// dependencies from Env and runs it; a new schedule adds a case here and its expression in wrangler.toml.
import { getConfig } from './config';
import { dueRuns } from './d1/reconciliation-repo';
import { dailyReconciliation } from './reconciliation/request';
import { gatewayDeps, reconcilerKick } from './wiring';

/** 02:00 UTC = 10:00 Beijing: yesterday's bill has existed since 09:00. */
export const RECONCILIATION_CRON = '0 2 * * *';

export async function scheduled(controller: ScheduledController, env: Env, ctx: ExecutionContext): Promise<void> {
  const config = getConfig(env);
  if (!config.ok) {
    console.log(JSON.stringify({ level: 'warn', event: 'CRON_CONFIG_INVALID', cron: controller.cron }));
    return; // fail closed (I12)
  }
  switch (controller.cron) {
    case RECONCILIATION_CRON: {
      const deps = gatewayDeps(env, ctx, config.config);
      const day = await dailyReconciliation(deps, reconcilerKick(env), await dueRuns(env.DB, new Date(deps.now()).toISOString()));
      console.log(JSON.stringify({ level: 'info', event: 'CRON', cron: controller.cron, billDate: day }));
      return;
    }
    default:
      console.log(JSON.stringify({ level: 'warn', event: 'CRON_UNKNOWN', cron: controller.cron }));
  }
}
