// The bearer check must not reveal the token's length: both sides are compared as fixed-length digests.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Hono } from 'hono';
import { secretEqual } from '../../src/core';
import { merchantBearer } from '../../src/worker/platform/middleware/merchant-auth';
import type { Config } from '../../src/worker/platform/config';

const config = { merchantApiToken: 'sandbox-merchant-token-not-for-live-use' } as Config;

async function judge(header?: string) {
  const app = new Hono().get('/', async (c) => c.text(await merchantBearer(c, config)));
  return (await app.request('/', { headers: header === undefined ? {} : { Authorization: header } })).text();
}

afterEach(() => vi.restoreAllMocks());

describe('merchant bearer token', () => {
  it('accepts only the exact token', async () => {
    expect(await judge()).toBe('absent');
    expect(await judge(`Bearer ${config.merchantApiToken}`)).toBe('valid');
    expect(await judge(`Bearer ${config.merchantApiToken}x`)).toBe('invalid');
    expect(await judge(`Bearer ${config.merchantApiToken.slice(0, -1)}`)).toBe('invalid');
    expect(await judge('Bearer ')).toBe('invalid');
    expect(await judge(`Basic ${config.merchantApiToken}`)).toBe('invalid');
  });

  it('a token of another length is hashed and compared like any other (no early length exit)', async () => {
    const digest = vi.spyOn(crypto.subtle, 'digest');
    for (const token of ['x', 'short-token', config.merchantApiToken + '-much-longer-than-the-real-one']) {
      digest.mockClear();
      expect(await judge(`Bearer ${token}`)).toBe('invalid');
      const inputs = digest.mock.calls.map(([algo, data]) => [algo, (data as Uint8Array).byteLength]);
      expect(inputs).toContainEqual(['SHA-256', token.length]);
      expect(inputs).toContainEqual(['SHA-256', config.merchantApiToken.length]);
    }
  });

  it('secretEqual is plain equality on strings of any length', async () => {
    expect(await secretEqual('a', 'a')).toBe(true);
    expect(await secretEqual('', '')).toBe(true);
    expect(await secretEqual('a', 'b')).toBe(false);
    expect(await secretEqual('a', 'aa')).toBe(false);
    expect(await secretEqual('令牌', '令牌')).toBe(true);
  });
});
