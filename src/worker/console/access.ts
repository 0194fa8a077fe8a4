// Cloudflare Access in front of /admin (optional): the `Cf-Access-Jwt-Assertion` header must be an
// RS256 JWT signed by one of the team's keys (JWKS at <team>/cdn-cgi/access/certs, cached per
// isolate), for this application's audience, unexpired, issued by the team.
// @see https://developers.cloudflare.com/cloudflare-one/identity/authorization-cookie/validating-json/
import { base64urlDecodeText } from '../../core';

interface AccessSettings {
  /** https://<team>.cloudflareaccess.com */
  readonly teamOrigin: string;
  readonly aud: string;
}

type AccessVerdict = { ok: true; email: string | null; sub: string } | { ok: false; reason: string };

type Fetcher = (input: string, init?: RequestInit) => Promise<Response>;

const JWKS_TTL_MS = 60 * 60_000;
/** An unknown kid may mean the team rotated keys: refetch, but at most this often. */
const REFETCH_MIN_MS = 30_000;
const CLOCK_SKEW_S = 60;

interface KeySet {
  keys: Map<string, CryptoKey>;
  fetchedAt: number;
}
const jwksCache = new Map<string, KeySet>();
/** Key-set fetches under way: concurrent requests that miss the cache share one fetch (single flight). */
const inflight = new Map<string, Promise<KeySet>>();

/** Tests only: forget the cached key sets. */
export function clearAccessKeyCache(): void {
  jwksCache.clear();
  inflight.clear();
}

function b64urlBytes(s: string): Uint8Array | null {
  if (!/^[A-Za-z0-9_-]*$/.test(s)) return null;
  try {
    const bin = atob(s.replace(/-/g, '+').replace(/_/g, '/'));
    return Uint8Array.from(bin, (ch) => ch.charCodeAt(0));
  } catch {
    return null;
  }
}

function jsonPart(s: string): Record<string, unknown> | null {
  const text = base64urlDecodeText(s);
  if (text === null) return null;
  try {
    const v = JSON.parse(text) as unknown;
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

function fetchKeys(settings: AccessSettings, fetcher: Fetcher, now: number): Promise<KeySet> {
  let pending = inflight.get(settings.teamOrigin);
  if (!pending) {
    pending = downloadKeys(settings, fetcher, now).finally(() => inflight.delete(settings.teamOrigin));
    inflight.set(settings.teamOrigin, pending);
  }
  return pending;
}

async function downloadKeys(settings: AccessSettings, fetcher: Fetcher, now: number): Promise<KeySet> {
  const res = await fetcher(`${settings.teamOrigin}/cdn-cgi/access/certs`, { signal: AbortSignal.timeout(5_000) });
  if (!res.ok) throw new Error(`Access certs answered ${res.status}`);
  const body = (await res.json()) as { keys?: Array<JsonWebKey & { kid?: string; alg?: string }> };
  const keys = new Map<string, CryptoKey>();
  for (const jwk of body.keys ?? []) {
    if (jwk.kty !== 'RSA' || typeof jwk.kid !== 'string' || (jwk.alg !== undefined && jwk.alg !== 'RS256')) continue;
    const { kid, ...rest } = jwk;
    const key = await crypto.subtle.importKey('jwk', { ...rest, alg: 'RS256', ext: true }, { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, false, ['verify']);
    keys.set(kid, key);
  }
  const set = { keys, fetchedAt: now };
  jwksCache.set(settings.teamOrigin, set);
  return set;
}

async function keyFor(settings: AccessSettings, kid: string, fetcher: Fetcher, now: number): Promise<CryptoKey | null> {
  let set = jwksCache.get(settings.teamOrigin);
  if (!set || now - set.fetchedAt > JWKS_TTL_MS) set = await fetchKeys(settings, fetcher, now);
  const key = set.keys.get(kid);
  if (key || now - set.fetchedAt < REFETCH_MIN_MS) return key ?? null;
  return (await fetchKeys(settings, fetcher, now)).keys.get(kid) ?? null;
}

/** Verifies an Access assertion. Never throws for a bad token; throws only if the JWKS cannot be fetched. */
export async function verifyAccessJwt(token: string | undefined, settings: AccessSettings, nowMs: number, fetcher: Fetcher): Promise<AccessVerdict> {
  if (!token || token.length > 8192) return { ok: false, reason: 'missing' };
  const parts = token.split('.');
  if (parts.length !== 3) return { ok: false, reason: 'malformed' };
  const [h, p, s] = parts as [string, string, string];
  const header = jsonPart(h);
  const payload = jsonPart(p);
  const signature = b64urlBytes(s);
  if (!header || !payload || !signature) return { ok: false, reason: 'malformed' };
  if (header.alg !== 'RS256' || typeof header.kid !== 'string') return { ok: false, reason: 'algorithm' };
  const key = await keyFor(settings, header.kid, fetcher, nowMs);
  if (!key) return { ok: false, reason: 'unknown key' };
  const valid = await crypto.subtle.verify('RSASSA-PKCS1-v1_5', key, signature, new TextEncoder().encode(`${h}.${p}`));
  if (!valid) return { ok: false, reason: 'signature' };
  const nowS = nowMs / 1000;
  const aud = Array.isArray(payload.aud) ? payload.aud : [payload.aud];
  if (!aud.includes(settings.aud)) return { ok: false, reason: 'audience' };
  if (payload.iss !== settings.teamOrigin) return { ok: false, reason: 'issuer' };
  if (typeof payload.exp !== 'number' || payload.exp + CLOCK_SKEW_S < nowS) return { ok: false, reason: 'expired' };
  if (typeof payload.nbf === 'number' && payload.nbf - CLOCK_SKEW_S > nowS) return { ok: false, reason: 'not yet valid' };
  return { ok: true, email: typeof payload.email === 'string' ? payload.email : null, sub: typeof payload.sub === 'string' ? payload.sub : '' };
}
