/**
 * The simulator's API v3 as a merchant sees it: requests signed per docs/wechatpay-v3.md §2 with the
 * sandbox merchant's key, answers verified per §3 with the simulator's public key or platform certificate.
 */
import { exports } from 'cloudflare:workers';
import {
  importSigningKey,
  importVerifyingKey,
  nonceStr,
  publicKeyOfPrivateKey,
  SANDBOX_MCH_PRIVATE_KEY,
  SANDBOX_MCH_SERIAL,
  SANDBOX_PAY_PUBLIC_KEY,
  SANDBOX_PLATFORM_PRIVATE_KEY,
  SANDBOX_PLATFORM_SERIAL,
  SANDBOX_PUB_KEY_ID,
  v3Authorization,
  type V3Verification,
  v3SignedHeaders,
  verifyV3Signature,
} from '../../src/core';
import { BASE, MCHID, postJson } from './sandbox-helpers';

export const V3_BASE = `${BASE}/v3`;

export interface V3Options {
  /** Overrides of the signed request: another key, serial, mchid or timestamp; a body other than the one signed. */
  key?: string;
  serial?: string;
  mchid?: string;
  /** Seconds added to now for the signed timestamp (at call time). */
  timestampOffset?: number;
  signedBody?: string;
  /** Extra or replaced headers (`Wechatpay-Serial`, …); a header set to '' is removed. */
  headers?: Record<string, string>;
}

export interface V3Answer<T = any> {
  status: number;
  headers: Headers;
  /** The body as received, and as UTF-8 text. */
  bytes: Uint8Array;
  text: string;
  json: T;
  /** The §3 verification of the answer with the simulator's two keys. */
  verified: V3Verification;
}

let verifyingKeys: Promise<Record<string, CryptoKey>> | undefined;

/** The simulator's two public keys, by the serial that names them (the certificate's from its private half). */
export function simVerifyingKeys(): Promise<Record<string, CryptoKey>> {
  verifyingKeys ??= (async () => ({
    [SANDBOX_PUB_KEY_ID]: await importVerifyingKey(SANDBOX_PAY_PUBLIC_KEY),
    [SANDBOX_PLATFORM_SERIAL]: await importVerifyingKey(await publicKeyOfPrivateKey(SANDBOX_PLATFORM_PRIVATE_KEY)),
  }))();
  return verifyingKeys;
}

/** §3 verification of any signed message (an answer or a notify) by its headers and raw body. */
export async function verifySim(headers: Headers, body: Uint8Array): Promise<V3Verification> {
  const keys = await simVerifyingKeys();
  return verifyV3Signature(v3SignedHeaders(headers), body, (serial) => keys[serial] ?? null, Math.floor(Date.now() / 1000));
}

/** One signed v3 call to the simulator (`path` under /sandbox/v3, query included). */
export async function v3(method: 'GET' | 'POST', path: string, body?: unknown, opts: V3Options = {}): Promise<V3Answer> {
  const url = new URL(`${V3_BASE}${path}`);
  const text = body === undefined ? '' : typeof body === 'string' ? body : JSON.stringify(body);
  const key = await importSigningKey(opts.key ?? SANDBOX_MCH_PRIVATE_KEY);
  const authorization = await v3Authorization(
    { mchId: opts.mchid ?? MCHID, serialNo: opts.serial ?? SANDBOX_MCH_SERIAL, key },
    {
      method,
      canonicalUrl: url.pathname + url.search,
      timestamp: Math.floor(Date.now() / 1000) + (opts.timestampOffset ?? 0),
      nonce: nonceStr(32),
      body: opts.signedBody ?? text,
    },
  );
  const headers: Record<string, string> = {
    Accept: 'application/json',
    'User-Agent': 'wxpay-edge-test/1.0',
    Authorization: authorization,
    ...(method === 'POST' ? { 'Content-Type': 'application/json' } : {}),
    ...opts.headers,
  };
  for (const [k, v] of Object.entries(headers)) if (v === '') delete headers[k];
  const res = await exports.default.fetch(url.toString(), { method, headers, ...(method === 'POST' ? { body: text } : {}) });
  const bytes = new Uint8Array(await res.arrayBuffer());
  const resText = new TextDecoder().decode(bytes);
  let json: any = null;
  try {
    json = resText ? JSON.parse(resText) : null;
  } catch {
    json = null;
  }
  return { status: res.status, headers: res.headers, bytes, text: resText, json, verified: await verifySim(res.headers, bytes) };
}

export async function setSigner(mode: 'public_key' | 'certificate' | 'switching' | 'public_key_only') {
  const res = await postJson('/sim/v3/signer', { mode });
  if (res.status !== 200) throw new Error(`signer refused: ${await res.text()}`);
}
