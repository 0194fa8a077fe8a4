// docs/reliability.md §3.1: the notify replies, pinned to the exact bytes of the spec (the route tests
// compare against these constants, so this is where the constants themselves are checked).
import { describe, expect, it } from 'vitest';
import { NOTIFY_REPLIES, NOTIFY_REPLY_CONTENT_TYPE, NOTIFY_V3_REPLIES, NOTIFY_V3_REPLY_CONTENT_TYPE, parseXml } from '../../src/core';

const FAIL = (c: string) => `<xml><return_code><![CDATA[FAIL]]></return_code><return_msg><![CDATA[${c}]]></return_msg></xml>`;

describe('notify reply table (§3.1)', () => {
  it('has exactly the spec bytes and statuses', () => {
    expect(NOTIFY_REPLIES).toEqual({
      OK: { status: 200, body: '<xml><return_code><![CDATA[SUCCESS]]></return_code><return_msg><![CDATA[OK]]></return_msg></xml>' },
      PARAM_ERROR: { status: 200, body: FAIL('PARAM_ERROR') },
      SIGN_ERROR: { status: 200, body: FAIL('SIGN_ERROR') },
      RETRY: { status: 503, body: FAIL('RETRY_LATER') },
      TOO_LARGE: { status: 413, body: FAIL('BODY_TOO_LARGE') },
      NOT_ALLOWED: { status: 405, body: '' },
    });
    expect(NOTIFY_REPLY_CONTENT_TYPE).toBe('text/xml; charset=utf-8');
  });

  it('every XML reply parses under our own strict parser, and only OK says SUCCESS', () => {
    for (const [name, r] of Object.entries(NOTIFY_REPLIES)) {
      if (name === 'NOT_ALLOWED') continue;
      expect(parseXml(r.body).return_code).toBe(name === 'OK' ? 'SUCCESS' : 'FAIL');
    }
  });

  it('is frozen', () => {
    expect(Object.isFrozen(NOTIFY_REPLIES)).toBe(true);
    for (const r of Object.values(NOTIFY_REPLIES)) expect(Object.isFrozen(r)).toBe(true);
  });
});

describe('API v3 notify replies (docs/wechatpay-v3.md §8.4)', () => {
  it('the same verdict names: 2xx only for OK, 401 for the signature, 400 for the unopenable, a FAIL body otherwise', () => {
    const fail = (message: string) => `{"code":"FAIL","message":"${message}"}`;
    expect(NOTIFY_V3_REPLIES).toEqual({
      OK: { status: 204, body: '' },
      PARAM_ERROR: { status: 400, body: fail('PARAM_ERROR') },
      SIGN_ERROR: { status: 401, body: fail('SIGN_ERROR') },
      RETRY: { status: 503, body: fail('RETRY_LATER') },
      TOO_LARGE: { status: 413, body: fail('BODY_TOO_LARGE') },
      NOT_ALLOWED: { status: 405, body: '' },
    });
    expect(NOTIFY_V3_REPLY_CONTENT_TYPE).toBe('application/json; charset=utf-8');
    expect(Object.keys(NOTIFY_V3_REPLIES).sort()).toEqual(Object.keys(NOTIFY_REPLIES).sort());
    expect(Object.isFrozen(NOTIFY_V3_REPLIES)).toBe(true);
  });
});
