// The configuration of trade types and the applications they pay under (src/worker/platform/config.ts):
// the mode's defaults, the sandbox's test mini-program and app, what live mode requires and refuses, and
// problems that name variables, never values.
import { describe, expect, it } from 'vitest';
import { SANDBOX_APP_APPID, SANDBOX_MINI_PROGRAM_APPID, SANDBOX_MINI_PROGRAM_SECRET } from '../../src/core';
import { configuredSecrets, parseConfig } from '../../src/worker/platform/config';
import { fakeConfig, SANDBOX_VARS } from '../support/fakes';
import { LIVE_VARS } from '../support/live-vars';
import { accepted, refused } from '../support/config-checks';

const LIVE = {
  ...SANDBOX_VARS,
  ...LIVE_VARS,
};
const MINI = { WECHAT_MINIPROGRAM_APPID: 'wx1111111111111111', WECHAT_MINIPROGRAM_SECRET: 'fake-live-mini-program-secret-0001' };
const APP = { WECHAT_APP_APPID: 'wx2222222222222222' };

describe('defaults', () => {
  it('sandbox: all five trade types, the fixed test mini-program and app, wap_name = MERCHANT_NAME', () => {
    const c = accepted(SANDBOX_VARS);
    expect([...c.tradeTypes].sort()).toEqual(['APP', 'JSAPI', 'MINIPROGRAM', 'MWEB', 'NATIVE']);
    expect(c.miniProgram).toEqual({ appId: SANDBOX_MINI_PROGRAM_APPID, secret: SANDBOX_MINI_PROGRAM_SECRET });
    expect(c.appAppId).toBe(SANDBOX_APP_APPID);
    expect(c.h5WapName).toBe('沙箱商户');
  });

  it('the test appids are wx + 16 lowercase hex, distinct from each other and from the sandbox 公众号 appid', () => {
    for (const id of [SANDBOX_MINI_PROGRAM_APPID, SANDBOX_APP_APPID]) expect(id).toMatch(/^wx[0-9a-f]{16}$/);
    expect(new Set([SANDBOX_MINI_PROGRAM_APPID, SANDBOX_APP_APPID, SANDBOX_VARS.WECHAT_APPID]).size).toBe(3);
  });

  it('live: JSAPI only, no mini-program, no app', () => {
    const c = accepted(LIVE);
    expect([...c.tradeTypes]).toEqual(['JSAPI']);
    expect(c.miniProgram).toBeNull();
    expect(c.appAppId).toBeNull();
  });

  it('an empty WECHAT_TRADE_TYPES is the default', () => {
    expect(accepted({ ...LIVE, WECHAT_TRADE_TYPES: '' }).tradeTypes).toEqual(new Set(['JSAPI']));
    expect(accepted({ ...SANDBOX_VARS, WECHAT_TRADE_TYPES: '' }).tradeTypes.size).toBe(5);
  });
});

describe('WECHAT_TRADE_TYPES', () => {
  it('a comma list, spaces and empty entries ignored', () => {
    expect(accepted({ ...SANDBOX_VARS, WECHAT_TRADE_TYPES: ' NATIVE , MWEB,,JSAPI ' }).tradeTypes).toEqual(new Set(['NATIVE', 'MWEB', 'JSAPI']));
    expect(accepted({ ...LIVE, WECHAT_TRADE_TYPES: 'NATIVE' }).tradeTypes).toEqual(new Set(['NATIVE']));
  });

  it.each(['JSAPI,WAPPAY', 'jsapi', 'JSAPI;NATIVE', ',', 'MICROPAY'])('%j → refused by name', (raw) => {
    expect(refused({ ...SANDBOX_VARS, WECHAT_TRADE_TYPES: raw })).toEqual([
      'WECHAT_TRADE_TYPES must be a comma-separated list of JSAPI, MINIPROGRAM, NATIVE, MWEB, APP',
    ]);
  });

  it('a disabled trade type leaves its application null even when it is named', () => {
    const c = accepted({ ...LIVE, ...MINI, ...APP, WECHAT_TRADE_TYPES: 'JSAPI,NATIVE' });
    expect(c.miniProgram).toBeNull();
    expect(c.appAppId).toBeNull();
    const s = accepted({ ...SANDBOX_VARS, WECHAT_TRADE_TYPES: 'JSAPI' });
    expect([s.miniProgram, s.appAppId]).toEqual([null, null]);
  });
});

describe('the mini-program and the app', () => {
  it('live with MINIPROGRAM and APP: both named → used', () => {
    const c = accepted({ ...LIVE, ...MINI, ...APP, WECHAT_TRADE_TYPES: 'JSAPI,MINIPROGRAM,APP' });
    expect(c.miniProgram).toEqual({ appId: MINI.WECHAT_MINIPROGRAM_APPID, secret: MINI.WECHAT_MINIPROGRAM_SECRET });
    expect(c.appAppId).toBe(APP.WECHAT_APP_APPID);
  });

  it('live: each one required when its trade type is enabled', () => {
    expect(refused({ ...LIVE, WECHAT_TRADE_TYPES: 'MINIPROGRAM,APP' })).toEqual([
      'WECHAT_MINIPROGRAM_APPID is missing (required when WECHAT_TRADE_TYPES includes MINIPROGRAM)',
      'WECHAT_MINIPROGRAM_SECRET is missing (required when WECHAT_TRADE_TYPES includes MINIPROGRAM)',
      'WECHAT_APP_APPID is missing (required when WECHAT_TRADE_TYPES includes APP)',
    ]);
    expect(refused({ ...LIVE, WECHAT_TRADE_TYPES: 'MINIPROGRAM', WECHAT_MINIPROGRAM_APPID: MINI.WECHAT_MINIPROGRAM_APPID })).toEqual([
      'WECHAT_MINIPROGRAM_SECRET is missing (required when WECHAT_TRADE_TYPES includes MINIPROGRAM)',
    ]);
  });

  it('sandbox: named ones replace the test ones; half a mini-program is refused', () => {
    const c = accepted({ ...SANDBOX_VARS, ...MINI, ...APP });
    expect(c.miniProgram?.appId).toBe(MINI.WECHAT_MINIPROGRAM_APPID);
    expect(c.appAppId).toBe(APP.WECHAT_APP_APPID);
    expect(refused({ ...SANDBOX_VARS, WECHAT_MINIPROGRAM_SECRET: MINI.WECHAT_MINIPROGRAM_SECRET })).toEqual([
      'WECHAT_MINIPROGRAM_APPID is missing (required when WECHAT_TRADE_TYPES includes MINIPROGRAM)',
    ]);
  });

  it('live refuses the sandbox test appids and the test secret, by name only', () => {
    expect(
      refused({
        ...LIVE,
        WECHAT_TRADE_TYPES: 'JSAPI,MINIPROGRAM,APP',
        WECHAT_MINIPROGRAM_APPID: SANDBOX_MINI_PROGRAM_APPID,
        WECHAT_MINIPROGRAM_SECRET: SANDBOX_MINI_PROGRAM_SECRET,
        WECHAT_APP_APPID: SANDBOX_APP_APPID,
      }),
    ).toEqual([
      'WECHAT_MINIPROGRAM_SECRET is a documented example value and is refused in live mode',
      'WECHAT_MINIPROGRAM_APPID is a sandbox test appid and is refused in live mode',
      'WECHAT_APP_APPID is a sandbox test appid and is refused in live mode',
    ]);
    // Even as the 公众号 appid, and even when the trade type is off.
    expect(refused({ ...LIVE, WECHAT_APPID: SANDBOX_APP_APPID })).toEqual(['WECHAT_APPID is a sandbox test appid and is refused in live mode']);
  });

  it.each([
    ['WECHAT_MINIPROGRAM_APPID', { WECHAT_MINIPROGRAM_APPID: 'wx123' }, 'WECHAT_MINIPROGRAM_APPID is not an appid'],
    ['WECHAT_APP_APPID', { WECHAT_APP_APPID: 'WX2222222222222222' }, 'WECHAT_APP_APPID is not an appid'],
    ['WECHAT_MINIPROGRAM_SECRET', { WECHAT_MINIPROGRAM_SECRET: 'tooFew1' }, 'WECHAT_MINIPROGRAM_SECRET is shorter than 16 characters'],
    ['WECHAT_MINIPROGRAM_SECRET', { WECHAT_MINIPROGRAM_SECRET: 'has a space in the middle' }, 'WECHAT_MINIPROGRAM_SECRET contains whitespace'],
  ])('a malformed %s → refused', (_name, vars, message) => {
    expect(refused({ ...SANDBOX_VARS, ...MINI, ...vars })).toEqual([message]);
  });

  it('each application has its own appid', () => {
    expect(refused({ ...SANDBOX_VARS, ...MINI, WECHAT_MINIPROGRAM_APPID: SANDBOX_VARS.WECHAT_APPID })).toEqual([
      'WECHAT_MINIPROGRAM_APPID must differ from WECHAT_APPID',
    ]);
    expect(refused({ ...SANDBOX_VARS, WECHAT_APP_APPID: SANDBOX_VARS.WECHAT_APPID })).toEqual(['WECHAT_APP_APPID must differ from WECHAT_APPID']);
    expect(refused({ ...SANDBOX_VARS, ...MINI, WECHAT_APP_APPID: MINI.WECHAT_MINIPROGRAM_APPID })).toEqual([
      'WECHAT_APP_APPID must differ from WECHAT_MINIPROGRAM_APPID',
    ]);
  });

  it('the mini-program secret is a secret: configuredSecrets (the log scrubber) knows it', () => {
    expect(configuredSecrets({ ...LIVE, ...MINI })).toContain(MINI.WECHAT_MINIPROGRAM_SECRET);
    expect(configuredSecrets({ ...LIVE, ...MINI })).not.toContain(MINI.WECHAT_MINIPROGRAM_APPID);
  });
});

describe('H5_WAP_NAME (MWEB scene_info)', () => {
  it('trimmed; unset or blank → MERCHANT_NAME', () => {
    expect(accepted({ ...SANDBOX_VARS, H5_WAP_NAME: '  示例商城 ' }).h5WapName).toBe('示例商城');
    expect(accepted({ ...SANDBOX_VARS, H5_WAP_NAME: '   ' }).h5WapName).toBe('沙箱商户');
    expect(accepted({ ...LIVE, MERCHANT_NAME: 'Example Shop' }).h5WapName).toBe('Example Shop');
  });

  it.each([
    ['65 characters', 'x'.repeat(65)],
    ['a control character', 'Shop\u0007'],
  ])('%s → refused', (_n, name) => {
    expect(refused({ ...SANDBOX_VARS, H5_WAP_NAME: name })).toEqual(['H5_WAP_NAME must be at most 64 characters of plain text']);
  });

  it('scene_info over 256 bytes with MWEB enabled → refused; without MWEB the name is not sent', () => {
    const long = '商'.repeat(64); // 192 bytes
    expect(refused({ ...SANDBOX_VARS, H5_WAP_NAME: long })).toEqual([`PUBLIC_BASE_URL and H5_WAP_NAME make MWEB's scene_info longer than 256 bytes`]);
    expect(accepted({ ...SANDBOX_VARS, H5_WAP_NAME: long, WECHAT_TRADE_TYPES: 'JSAPI' }).h5WapName).toBe(long);
    expect(accepted({ ...SANDBOX_VARS, H5_WAP_NAME: '商'.repeat(60) }).tradeTypes.has('MWEB')).toBe(true);
  });
});

describe('LATE_PAYMENT_POLICY', () => {
  it('refund by default, hold on request, anything else refused by name', () => {
    expect(fakeConfig().refundLatePayments).toBe(true);
    expect(fakeConfig({ LATE_PAYMENT_POLICY: 'refund' }).refundLatePayments).toBe(true);
    expect(fakeConfig({ LATE_PAYMENT_POLICY: 'hold' }).refundLatePayments).toBe(false);
    expect(fakeConfig({ LATE_PAYMENT_POLICY: '' }).refundLatePayments).toBe(true);
    const bad = parseConfig({ ...SANDBOX_VARS, LATE_PAYMENT_POLICY: 'keep' });
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.problems.join(' ')).toMatch(/LATE_PAYMENT_POLICY must be refund or hold/);
  });
});
