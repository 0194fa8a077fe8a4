/**
 * API v3 simulator controls under /sandbox/sim/v3/ (docs/sandbox.md): the signer mode, and the
 * simulator's test-only keys, so that a merchant's own test harness can act as WeChat Pay.
 */
import { Hono } from 'hono';
import {
  SANDBOX_PAY_PRIVATE_KEY,
  SANDBOX_PAY_PUBLIC_KEY,
  SANDBOX_PLATFORM_CERTIFICATE,
  SANDBOX_PLATFORM_PRIVATE_KEY,
  SANDBOX_PLATFORM_SERIAL,
  SANDBOX_PUB_KEY_ID,
} from '../../core';
import { merchantStub, type SandboxEnv } from '../hono-env';
import { isObject } from './json';
import { SIGNER_MODES, type SignerMode } from './signer';

export const simV3 = new Hono<SandboxEnv>();

const stub = (c: { env: Env; get(k: 'merchant'): SandboxEnv['Variables']['merchant'] }) => merchantStub(c.env, c.get('merchant').mchId);

simV3.get('/signer', async (c) => c.json({ mode: await stub(c).v3Signer() }));

simV3.post('/signer', async (c) => {
  let body: unknown;
  try {
    body = await c.req.json();
  } catch {
    body = null;
  }
  const mode = isObject(body) ? body.mode : undefined;
  if (typeof mode !== 'string' || !(SIGNER_MODES as readonly string[]).includes(mode))
    return c.json({ ok: false, error: 'BAD_REQUEST', message: `body must be {"mode": ${SIGNER_MODES.map((m) => `"${m}"`).join(' | ')}}` }, 400);
  return c.json({ mode: await stub(c).setV3Signer(mode as SignerMode) });
});

/** Both of the simulator's signing keys and its platform certificate: published test keys, never for live (docs/sandbox.md). */
simV3.get('/keys', async (c) =>
  c.json({
    mode: await stub(c).v3Signer(),
    pub_key_id: SANDBOX_PUB_KEY_ID,
    platform_public_key: SANDBOX_PAY_PUBLIC_KEY,
    platform_private_key: SANDBOX_PAY_PRIVATE_KEY,
    platform_serial: SANDBOX_PLATFORM_SERIAL,
    platform_certificate: SANDBOX_PLATFORM_CERTIFICATE,
    platform_certificate_private_key: SANDBOX_PLATFORM_PRIVATE_KEY,
    test_only:
      'TEST ONLY: published keys of the wxpay-edge sandbox (src/core/sandbox-v3-keys.ts). platform_public_key/platform_private_key are the 微信支付公钥 pair named by pub_key_id; platform_certificate/platform_certificate_private_key the 平台证书 pair named by platform_serial. Never configure them in live.',
  }),
);
