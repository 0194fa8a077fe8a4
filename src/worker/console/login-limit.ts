// Failed-login budgets for the console (docs/console.md): a sliding 15-minute window per address
// (IPv4 address, IPv6 /64), per trusted device, and across all addresses. An attempt is counted
// BEFORE the token is compared, so parallel guesses cannot all slip through a read-then-write check;
// a right token gives its attempt back. Past the global budget every login from an untrusted browser
// is refused until the window slides on, and the operator is alerted once.
import { type Budget, type BudgetCount, claimBudgets, releaseBudgets } from './admin-auth-repo';
import { log } from '../platform/log';

export const LOGIN_WINDOW_MS = 15 * 60_000;
/** Failures allowed per sliding window. */
export const LOGIN_LIMITS = {
  /** One IPv4 address or one IPv6 /64. */
  address: 5,
  /** Live requests without a usable CF-Connecting-IP share this one, stricter bucket. */
  unknownAddress: 3,
  /** A browser that logged in before (device cookie): its own budget, so the operator's NAT neighbours cannot lock it out. */
  device: 5,
  /** All addresses together: a botnet with many addresses is still held to this. */
  global: 100,
} as const;

const GLOBAL_BUDGET = '*';
const UNLIMITED = Number.MAX_SAFE_INTEGER;

interface LoginClient {
  /** SHA-256 of a known device cookie's id, or null. */
  device: string | null;
  /** The address bucket (console/client-address.ts), or null when the request carried no usable address. */
  address: string | null;
  live: boolean;
}

type LoginClaim =
  | { admitted: true; keys: [string, string]; windowMs: number }
  | { admitted: false; retryAfterSeconds: number; scope: 'address' | 'device' | 'global' };

/** The budget that decides for this client, and the global one it always counts in. */
function budgetsFor(client: LoginClient): [Budget, Budget] {
  if (client.device)
    return [
      { key: `dev:${client.device}`, max: LOGIN_LIMITS.device },
      { key: GLOBAL_BUDGET, max: UNLIMITED },
    ];
  const own = client.address
    ? { key: client.address, max: LOGIN_LIMITS.address }
    : client.live
      ? { key: 'ip:unknown', max: LOGIN_LIMITS.unknownAddress }
      : { key: 'ip:local', max: LOGIN_LIMITS.address };
  return [own, { key: GLOBAL_BUDGET, max: LOGIN_LIMITS.global }];
}

export function windowsAt(nowMs: number) {
  const currentMs = nowMs - (nowMs % LOGIN_WINDOW_MS);
  return { currentMs, previousMs: currentMs - LOGIN_WINDOW_MS, previousWeight: 1 - (nowMs - currentMs) / LOGIN_WINDOW_MS };
}

/** Seconds until a budget holding `current` and `previous` failures, `elapsedMs` into the window, is below `max` again. */
export function secondsUntilUnder(current: number, previous: number, elapsedMs: number, max: number): number {
  for (let s = 1; s <= (2 * LOGIN_WINDOW_MS) / 1000; s++) {
    const t = elapsedMs + s * 1000;
    const load = t < LOGIN_WINDOW_MS ? current + previous * (1 - t / LOGIN_WINDOW_MS) : current * Math.max(0, 1 - (t - LOGIN_WINDOW_MS) / LOGIN_WINDOW_MS);
    if (load < max) return s;
  }
  return (2 * LOGIN_WINDOW_MS) / 1000;
}

function load(counts: BudgetCount[], key: string, w: ReturnType<typeof windowsAt>) {
  const of = (windowMs: number) => counts.find((c) => c.bucket === key && c.window_ms === windowMs)?.count ?? 0;
  const current = of(w.currentMs);
  const previous = of(w.previousMs);
  return { current, previous, weighted: current + previous * w.previousWeight };
}

/** Counts one attempt, or says how long this client must wait. Raises the lockdown alert on the attempt that fills the global budget. */
export async function claimLoginAttempt(db: D1Database, client: LoginClient, nowMs: number): Promise<LoginClaim> {
  const [own, global] = budgetsFor(client);
  const w = windowsAt(nowMs);
  const { admitted, counts } = await claimBudgets(db, own, global, w);
  const g = load(counts, GLOBAL_BUDGET, w);
  if (admitted) {
    if (g.weighted >= LOGIN_LIMITS.global && g.weighted - 1 < LOGIN_LIMITS.global) {
      log.error('CONSOLE_LOGIN_LOCKDOWN', { failures: LOGIN_LIMITS.global, windowMinutes: LOGIN_WINDOW_MS / 60_000 });
    }
    return { admitted: true, keys: [own.key, global.key], windowMs: w.currentMs };
  }
  const elapsed = nowMs - w.currentMs;
  const mine = load(counts, own.key, w);
  const ownFull = mine.weighted >= own.max;
  const scope = ownFull ? (client.device ? 'device' : 'address') : 'global';
  const wait = ownFull ? secondsUntilUnder(mine.current, mine.previous, elapsed, own.max) : secondsUntilUnder(g.current, g.previous, elapsed, global.max);
  return { admitted: false, retryAfterSeconds: wait, scope };
}

/** The token was right: the attempt is given back, so the operator's own logins never lock them out. */
export function releaseLoginAttempt(db: D1Database, claim: Extract<LoginClaim, { admitted: true }>): Promise<void> {
  return releaseBudgets(db, claim.keys, claim.windowMs);
}
