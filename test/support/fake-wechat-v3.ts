// A scripted WeChat Pay API v3 for the fast tier (test/service, Node): it checks every request's
// Authorization with the merchant's public key, as WeChat does, and answers with JSON signed the way
// WeChat signs (the simulator's test keys of core/sandbox-v3-keys.ts: the public key's private half under
// PUB_KEY_ID_…, or the platform certificate's key under its serial) — or, when a test says so, unsigned,
// forged, stale or tampered. It serves /v3/certificates (the platform certificate encrypted under the
// APIv3 key) unless scripted otherwise. No `cloudflare:*` import.
import {
  encryptResource,
  importApiV3Key,
  importSigningKey,
  importVerifyingKey,
  parseV3Authorization,
  publicKeyOfPrivateKey,
  rsaSign,
  rsaVerify,
  SANDBOX_PAY_PRIVATE_KEY,
  SANDBOX_PLATFORM_CERTIFICATE,
  SANDBOX_PLATFORM_PRIVATE_KEY,
  SANDBOX_PLATFORM_SERIAL,
  SANDBOX_PUB_KEY_ID,
  v3Lines,
  v3RequestMessage,
} from '../../src/core';
import type { Config, V3Settings } from '../../src/worker/platform/config';
import type { CertificateStore, PlatformCertificate, StoredCertificate, V3Deps } from '../../src/worker/wechat-v3';

/** Who signs an answer: the public key, the platform certificate, or nobody / somebody else. */
export type Signer = 'PUBKEY' | 'CERT' | 'NONE' | 'FORGED' | 'STALE' | 'TAMPERED' | { serial: string };

export interface V3Reply {
  status?: number;
  /** A JSON body (serialised as WeChat would), or raw bytes (a bill file). */
  json?: unknown;
  bytes?: Uint8Array;
  /** Default: PUBKEY when the request named the public key, else CERT (docs/wechatpay-v3.md §4.3). */
  signer?: Signer;
}

export interface V3CallRecord {
  method: string;
  /** Under the pay base URL, e.g. `/v3/pay/transactions/jsapi`. */
  path: string;
  search: string;
  body: any;
  headers: Headers;
  /** Whether the Authorization verified under the merchant's key (mchid, serial, signature, canonical URL). */
  authorized: boolean;
}

export interface FakeWechatV3 {
  readonly deps: V3Deps;
  readonly calls: V3CallRecord[];
  readonly store: MemoryCertificateStore;
  /** Scripts replies for `METHOD /path` (no query), used in order; the last one repeats. */
  on(route: string, ...replies: V3Reply[]): FakeWechatV3;
  callsTo(route: string): number;
  /** Moves the fake's and the client's clocks together (signatures, the ±5 min window). */
  setNow(ms: number): void;
}

export interface MemoryCertificateStore extends CertificateStore {
  readonly rows: Map<string, StoredCertificate>;
}

export function memoryCertificateStore(): MemoryCertificateStore {
  const rows = new Map<string, StoredCertificate>();
  return {
    rows,
    load: async () => [...rows.values()],
    async save(certs: readonly PlatformCertificate[], nowMs: number) {
      for (const c of certs) rows.set(c.serial, { ...c, fetchedAt: nowMs });
      for (const [serial, c] of rows) if (c.notAfter <= nowMs) rows.delete(serial);
    },
  };
}

const keys = {
  pay: importSigningKey(SANDBOX_PAY_PRIVATE_KEY),
  platform: importSigningKey(SANDBOX_PLATFORM_PRIVATE_KEY),
  forger: crypto.subtle
    .generateKey({ name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' }, true, ['sign', 'verify'])
    .then((k) => (k as CryptoKeyPair).privateKey),
};

/** WeChat's signature headers over `body` at `nowS` with the signer's key. */
export async function signedHeaders(body: Uint8Array, signer: Exclude<Signer, 'NONE'>, nowS: number): Promise<Record<string, string>> {
  const ts = signer === 'STALE' ? nowS - 600 : nowS;
  const nonce = `n${Math.random().toString(36).slice(2, 14)}`;
  const serial = typeof signer === 'object' ? signer.serial : signer === 'CERT' ? SANDBOX_PLATFORM_SERIAL : SANDBOX_PUB_KEY_ID;
  const key = signer === 'FORGED' || typeof signer === 'object' ? await keys.forger : signer === 'CERT' ? await keys.platform : await keys.pay;
  const message = new Uint8Array([...new TextEncoder().encode(`${ts}\n${nonce}\n`), ...body, 0x0a]);
  return {
    'Wechatpay-Timestamp': String(ts),
    'Wechatpay-Nonce': nonce,
    'Wechatpay-Signature': await rsaSign(key, message),
    'Wechatpay-Serial': serial,
    'Wechatpay-Signature-Type': 'WECHATPAY2-SHA256-RSA2048',
    'Request-ID': 'fake-request-id',
  };
}

/** The /v3/certificates answer WeChat gives: the platform certificate encrypted under the APIv3 key. */
export async function certificateList(apiV3Key: string, pem = SANDBOX_PLATFORM_CERTIFICATE, serial = SANDBOX_PLATFORM_SERIAL): Promise<unknown> {
  const enc = await encryptResource(await importApiV3Key(apiV3Key), pem, 'certnonce001', 'certificate');
  return {
    data: [{ serial_no: serial, effective_time: '2026-12-08T02:54:24+08:00', expire_time: '2036-12-05T02:54:24+08:00', encrypt_certificate: enc }],
  };
}

export function fakeWechatV3(config: Config, startMs = Date.parse('2026-12-20T02:00:00Z')): FakeWechatV3 {
  const v3 = config.v3 as V3Settings;
  const script = new Map<string, V3Reply[]>();
  const calls: V3CallRecord[] = [];
  const store = memoryCertificateStore();
  let now = startMs;
  const merchantKey = publicKeyOfPrivateKey(v3.mchPrivateKey).then((spki) => importVerifyingKey(spki));
  merchantKey.catch(() => undefined); // a test may configure a key that does not import: then no request is ever checked

  async function authorized(method: string, url: URL, body: string, headers: Headers): Promise<boolean> {
    const auth = parseV3Authorization(headers.get('authorization'));
    if (!auth || auth.mchid !== config.mchId || auth.serial_no !== v3.mchSerial) return false;
    if (Math.abs(Number(auth.timestamp) - Math.floor(now / 1000)) > 300) return false;
    const message = v3RequestMessage({ method, canonicalUrl: url.pathname + url.search, timestamp: Number(auth.timestamp), nonce: auth.nonce_str, body });
    return rsaVerify(await merchantKey, message, auth.signature);
  }

  const answer = async (rawUrl: string, init: RequestInit): Promise<Response> => {
    const url = new URL(rawUrl);
    const base = new URL(config.payBaseUrl);
    if (url.origin !== base.origin || !url.pathname.startsWith(base.pathname)) throw new Error(`fake WeChat v3: ${rawUrl} is not under ${config.payBaseUrl}`);
    const path = url.pathname.slice(base.pathname.replace(/\/$/, '').length);
    const method = init.method ?? 'GET';
    const headers = new Headers(init.headers);
    const bodyText = typeof init.body === 'string' ? init.body : '';
    calls.push({
      method,
      path,
      search: url.search,
      body: bodyText ? JSON.parse(bodyText) : undefined,
      headers,
      authorized: await authorized(method, url, bodyText, headers),
    });
    const route = `${method} ${path}`;
    const queue = script.get(route);
    let reply = queue && (queue.length > 1 ? queue.shift()! : queue[0]);
    if (!reply && route === 'GET /v3/certificates') reply = { json: await certificateList(v3.apiV3Key) };
    if (!reply) throw new Error(`fake WeChat v3: no reply scripted for ${route}`);
    if (!calls[calls.length - 1]!.authorized) reply = { status: 401, json: { code: 'SIGN_ERROR', message: '签名错误' } };
    const bytes = reply.bytes ?? (reply.json === undefined ? new Uint8Array(0) : new TextEncoder().encode(JSON.stringify(reply.json)));
    const status = reply.status ?? (bytes.length ? 200 : 204);
    const out: Record<string, string> = reply.json === undefined ? {} : { 'Content-Type': 'application/json' };
    // WeChat signs its answers (error bodies are not checked by clients, so they are left unsigned here).
    const signer: Signer =
      reply.signer ?? (status >= 300 ? 'NONE' : headers.get('wechatpay-serial') === v3.payPublicKey?.id && v3.payPublicKey ? 'PUBKEY' : 'CERT');
    if (signer !== 'NONE') Object.assign(out, await signedHeaders(bytes, signer, Math.floor(now / 1000)));
    const sent = signer === 'TAMPERED' ? new Uint8Array([...bytes.subarray(0, -1), bytes[bytes.length - 1]! ^ 0x01]) : bytes;
    return new Response(status === 204 ? null : sent, { status, headers: out });
  };
  const fake: FakeWechatV3 = {
    deps: {
      config,
      v3,
      transports: { api: answer, cert: () => Promise.reject(new Error('v3 uses no client certificate')), certAvailable: true },
      certificates: store,
      timeoutMs: 2000,
      sleep: async () => undefined,
      now: () => now,
    },
    calls,
    store,
    on(route, ...replies) {
      script.set(route, replies);
      return fake;
    },
    callsTo: (route) => calls.filter((c) => `${c.method} ${c.path}` === route).length,
    setNow(ms) {
      now = ms;
    },
  };
  return fake;
}

/** v3Lines re-exported for tests that recompute a pay signature. */
export { v3Lines };
