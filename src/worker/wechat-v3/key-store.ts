/**
 * The keys WeChat Pay's signatures are verified with, chosen by Wechatpay-Serial (docs/wechatpay-v3.md
 * §3.2 rule 2, §4): the configured public key (its PUB_KEY_ID_…) and the platform certificates, both at
 * once (during a switch WeChat signs notifies with either). Certificates live in D1 (shared by every
 * isolate and the cron) and in this isolate's memory; an unknown serial re-reads D1 and then asks
 * WeChat's /v3/certificates at most once a minute; the lifecycle cron keeps the list fresh before it
 * expires (every 12 h, hourly once the newest expires within 24 h). Expired certificates are never used.
 */
import { importVerifyingKey, v3SignedHeaders } from '../../core';
import { ChannelError } from '../channel';
import { log } from '../platform/log';
import { acceptCertificateList, isCurrent, type PlatformCertificate } from './certificates';
import type { StoredCertificate } from './certificates-repo';
import { errorCodeOf, v3ErrorFor } from './errors';
import { apiV3Key, payPublicKey } from './keys';
import { sendV3, type V3Deps } from './request';

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
/** D1 is re-read on an unknown serial at most this often per isolate. */
const RELOAD_AFTER_MS = MINUTE_MS;
/** WeChat is asked for the list on an unknown serial at most this often per isolate. */
const REFRESH_AFTER_MS = MINUTE_MS;
/** The cron's schedule: at least every 12 h (docs/wechatpay-v3.md §4.2) … */
const POLL_EVERY_MS = 12 * HOUR_MS;
/** … and hourly while the newest certificate expires within 24 h (WeChat lists a successor 24 h early). */
const EXPIRY_SOON_MS = 24 * HOUR_MS;
const EXPIRY_POLL_MS = HOUR_MS;

interface Held extends StoredCertificate {
  key?: Promise<CryptoKey>;
}

/** This isolate's copy of the store, and when it was read; the last time WeChat was asked. */
const isolate = {
  held: new Map<string, Held>(),
  loadedAt: Number.NEGATIVE_INFINITY,
  refreshedAt: Number.NEGATIVE_INFINITY,
  refreshing: null as Promise<RefreshResult> | null,
  notFoundLogged: false,
};

/** Tests only: forget what this isolate holds (the D1 rows stay). */
export function forgetPlatformKeys(): void {
  isolate.held.clear();
  isolate.loadedAt = Number.NEGATIVE_INFINITY;
  isolate.refreshedAt = Number.NEGATIVE_INFINITY;
  isolate.refreshing = null;
  isolate.notFoundLogged = false;
}

function hold(certs: readonly StoredCertificate[], nowMs: number): void {
  const before = isolate.held;
  isolate.held = new Map(certs.map((c) => [c.serial, { ...c, key: before.get(c.serial)?.key }]));
  isolate.loadedAt = nowMs;
}

async function reload(deps: V3Deps, nowMs: number): Promise<void> {
  hold(await deps.certificates.load(), nowMs);
}

function currentKey(serial: string, nowMs: number): Promise<CryptoKey> | null {
  const c = isolate.held.get(serial.toUpperCase());
  if (!c || !isCurrent(c, nowMs)) return null;
  c.key ??= importVerifyingKey(c.spki);
  return c.key;
}

export type RefreshResult = 'STORED' | 'NO_CERTIFICATES';

/**
 * Asks WeChat for the list, accepts it only if it verifies (certificates.ts), stores it. A 404 is the
 * normal answer of a merchant without platform certificates (public-key mode): logged once, no error.
 * Throws ChannelError otherwise (SIGN_INVALID for a list that does not verify).
 */
export async function refreshCertificates(deps: V3Deps, nowMs: number): Promise<RefreshResult> {
  isolate.refreshedAt = nowMs;
  const answer = await sendV3(deps, { method: 'GET', url: '/v3/certificates' });
  if (answer.status === 404 && errorCodeOf(answer.body)?.replace(/_/g, '') === 'RESOURCENOTEXISTS') {
    if (!isolate.notFoundLogged) {
      isolate.notFoundLogged = true;
      log.info('V3_NO_PLATFORM_CERTIFICATES', { publicKeyMode: !!deps.v3.payPublicKey });
    }
    return 'NO_CERTIFICATES';
  }
  if (answer.status < 200 || answer.status >= 300) throw v3ErrorFor(answer.status, answer.body, 'CERTIFICATES');
  const pub = payPublicKey(deps.v3);
  const verdict = await acceptCertificateList(
    v3SignedHeaders(answer.headers),
    answer.body,
    await apiV3Key(deps.v3),
    pub && deps.v3.payPublicKey ? { id: deps.v3.payPublicKey.id, key: await pub } : null,
    nowMs,
  );
  if (!verdict.ok) {
    log.warn('V3_CERTIFICATES_REFUSED', { reason: verdict.reason });
    throw new ChannelError('SIGN_INVALID', verdict.reason);
  }
  await deps.certificates.save(verdict.certificates, nowMs);
  const fetched = verdict.certificates.map((c: PlatformCertificate) => ({ ...c, fetchedAt: nowMs }));
  // Keep what the store still holds beside the fresh list (a certificate WeChat no longer lists stays usable until it expires).
  const kept = [...isolate.held.values()].filter((c) => !fetched.some((f) => f.serial === c.serial) && isCurrent(c, nowMs));
  hold([...kept, ...fetched], nowMs);
  return 'STORED';
}

/** One refresh at a time per isolate, at most once a minute. Never throws: a failure is logged and the serial stays unknown. */
async function refreshOnce(deps: V3Deps, nowMs: number): Promise<void> {
  if (!isolate.refreshing) {
    if (nowMs - isolate.refreshedAt < REFRESH_AFTER_MS) return;
    isolate.refreshing = refreshCertificates(deps, nowMs).finally(() => {
      isolate.refreshing = null;
    });
  }
  try {
    await isolate.refreshing;
  } catch (e) {
    log.warn('V3_CERTIFICATES_REFRESH_FAILED', {
      code: e instanceof ChannelError ? e.code : 'ERROR',
      errCode: e instanceof ChannelError ? e.errCode : undefined,
    });
  }
}

/**
 * The key `serial` names, or null: the configured public key for its id; otherwise a current platform
 * certificate — from this isolate, else D1 (re-read at most once a minute), else a fresh list from
 * WeChat (at most once a minute). `refresh: false` (notifies' hot path may choose it) skips WeChat.
 */
export async function keyFor(deps: V3Deps, serial: string, nowMs: number, { refresh = true } = {}): Promise<CryptoKey | null> {
  const pub = deps.v3.payPublicKey;
  if (pub && serial === pub.id) return payPublicKey(deps.v3);
  if (serial.startsWith('PUB_KEY_ID_')) return null; // another public key id: never a certificate
  let key = currentKey(serial, nowMs);
  if (key) return key;
  if (nowMs - isolate.loadedAt >= RELOAD_AFTER_MS) {
    await reload(deps, nowMs);
    key = currentKey(serial, nowMs);
    if (key) return key;
  }
  if (!refresh) return null;
  await refreshOnce(deps, nowMs);
  return currentKey(serial, nowMs);
}

export type MaintenanceResult = 'NOT_DUE' | RefreshResult;

/**
 * The lifecycle cron's step: refreshes the list when it is due — no current certificate in
 * certificate mode (at most once a minute); the last verified list 12 h old; or the newest certificate
 * expiring within 24 h and the last list an hour old (these two at most hourly per isolate). In public-key mode with no certificate kept there is nothing to keep
 * fresh (an unknown serial still asks WeChat on demand). Throws ChannelError when WeChat fails.
 */
export async function refreshCertificatesIfDue(deps: V3Deps, nowMs: number): Promise<MaintenanceResult> {
  await reload(deps, nowMs);
  const current = [...isolate.held.values()].filter((c) => isCurrent(c, nowMs));
  if (current.length === 0) {
    if (deps.v3.payPublicKey || nowMs - isolate.refreshedAt < REFRESH_AFTER_MS) return 'NOT_DUE';
    return refreshCertificates(deps, nowMs);
  }
  const lastFetched = Math.max(...current.map((c) => c.fetchedAt));
  const newestExpiry = Math.max(...current.map((c) => c.notAfter));
  const due = nowMs - lastFetched >= POLL_EVERY_MS || (newestExpiry - nowMs <= EXPIRY_SOON_MS && nowMs - lastFetched >= EXPIRY_POLL_MS);
  // At most hourly per isolate however WeChat answers (a 404 after a switch to the public key stores
  // nothing, so the kept certificates would otherwise look due on every tick until they expire).
  return due && nowMs - isolate.refreshedAt >= EXPIRY_POLL_MS ? refreshCertificates(deps, nowMs) : 'NOT_DUE';
}
