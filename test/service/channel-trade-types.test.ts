// The v2 channel (src/worker/wechat/channel.ts) for every trade type, over the scripted WeChat of
// test/support/fakes.ts: which appid each trade type pays under, what unifiedorder sends for each,
// which answers it refuses (PROTOCOL), and the pay params each leaves — the paySign under the order's
// own appid (official vectors), the APP PayReq's sign recomputed here with node:crypto.
import { createHash, createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { verifyParams, type SignType } from '../../src/core';
import { ChannelError, type OrderRef, type PaymentChannel, type Payer, type PrepayRequest, type TradeType } from '../../src/worker/channel';
import type { Config } from '../../src/worker/platform/config';
import { v2Channel } from '../../src/worker/wechat/channel';
import { fakeConfig, fakeWechat, type FakeWechat } from '../support/fakes';
import vectors from '../vectors/vectors.json';
import { LIVE_VARS } from '../support/live-vars';

// docs/wechatpay-v2.md §7: V3 (JSAPI, 公众号 example appid) and V5 (the example of the mini-program
// payment page too, docs/wechatpay-v2.md §23.3), both under the JSAPI example key.
const [V3, , V5] = vectors.jsapi_paysign as [(typeof vectors.jsapi_paysign)[0], unknown, (typeof vectors.jsapi_paysign)[0]];
const MP_APPID = V3.params.appId; // wx619a931576afe069, the 公众号
const MINI_APPID = V5.params.appId; // wxd678efh567hg6787, the mini-program
const APP_APPID = 'wx2222222222222222';
const UO = '/pay/unifiedorder';

const VARS = {
  WECHAT_APPID: MP_APPID,
  WECHAT_API_KEY: V3.key,
  WECHAT_MINIPROGRAM_APPID: MINI_APPID,
  WECHAT_MINIPROGRAM_SECRET: 'fake-mini-program-secret-0001',
  WECHAT_APP_APPID: APP_APPID,
};

interface Setup {
  readonly config: Config;
  readonly wechat: FakeWechat;
  readonly channel: PaymentChannel;
}

function setup(vars: Record<string, string> = {}): Setup {
  const config = fakeConfig({ ...VARS, ...vars });
  const wechat = fakeWechat(config);
  return { config, wechat, channel: v2Channel(wechat.deps) };
}

const CODE_URL = 'weixin://wxpay/bizpayurl?pr=NwY5Mz9';
const MWEB_URL = 'https://wx.tenpay.com/cgi-bin/mmpayweb-bin/checkmweb?prepay_id=wx2016121516420242444321ca0631331346&package=1405458241';
const SCENE = { wapUrl: 'http://127.0.0.1:8787', wapName: '沙箱商户' };

const PAYERS: Record<TradeType, Payer> = {
  JSAPI: { tradeType: 'JSAPI', openid: 'oMPbuyer000000000000000001' },
  MINIPROGRAM: { tradeType: 'MINIPROGRAM', openid: 'oMINIbuyer0000000000000001' },
  NATIVE: { tradeType: 'NATIVE', productId: 'SKU-42' },
  MWEB: { tradeType: 'MWEB', scene: SCENE },
  APP: { tradeType: 'APP' },
};
const APPIDS: Record<TradeType, string> = { JSAPI: MP_APPID, MINIPROGRAM: MINI_APPID, NATIVE: MP_APPID, MWEB: MP_APPID, APP: APP_APPID };
const WIRE: Record<TradeType, string> = { JSAPI: 'JSAPI', MINIPROGRAM: 'JSAPI', NATIVE: 'NATIVE', MWEB: 'MWEB', APP: 'APP' };
/** What WeChat answers for each, beyond the common fields. */
const ANSWERS: Record<TradeType, Record<string, string>> = {
  JSAPI: { trade_type: 'JSAPI', prepay_id: 'wx2611334392677180ea59742b3744840000' },
  MINIPROGRAM: { trade_type: 'JSAPI', prepay_id: 'wx2017033010242291fcfe0db70013231072' },
  NATIVE: { trade_type: 'NATIVE', prepay_id: 'wx201410272009395522657a690389285100', code_url: CODE_URL },
  MWEB: { trade_type: 'MWEB', prepay_id: 'wx2016121516420242444321ca0631331346', mweb_url: MWEB_URL },
  APP: { trade_type: 'APP', prepay_id: 'wx201410272009395522657a690389285101' },
};

/** The attempt's OrderRef: it names the appid of a mini-program's or an app's payment. */
const orderOf = (tradeType: TradeType, signType: SignType = 'HMAC-SHA256'): OrderRef => ({
  outTradeNo: `ATT-${tradeType}`,
  signType,
  ...(tradeType === 'MINIPROGRAM' || tradeType === 'APP' ? { appId: APPIDS[tradeType] } : {}),
});

function requestOf(tradeType: TradeType, order: OrderRef = orderOf(tradeType)): PrepayRequest {
  return {
    order,
    payer: PAYERS[tradeType],
    description: 'Test item',
    totalFee: 1999,
    clientIp: '203.0.113.9',
    notifyUrl: 'http://127.0.0.1:8787/wechat/notify',
    expiresAt: new Date('2026-05-01T03:00:00Z'),
  };
}

async function codeOf(p: Promise<unknown>): Promise<string> {
  const e = await p.then(
    () => null,
    (err: unknown) => err,
  );
  if (!(e instanceof ChannelError)) throw new Error(`expected a ChannelError, got ${String(e)}`);
  return e.code;
}

const ALL = Object.keys(PAYERS) as TradeType[];

describe('appIdFor', () => {
  it('JSAPI, NATIVE and MWEB under the 公众号 appid; MINIPROGRAM and APP under their own', () => {
    const { channel } = setup();
    for (const t of ALL) expect(channel.appIdFor(t), t).toBe(APPIDS[t]);
  });

  it('null for a trade type not in WECHAT_TRADE_TYPES', () => {
    const { channel } = setup({ WECHAT_TRADE_TYPES: 'NATIVE,APP' });
    expect(Object.fromEntries(ALL.map((t) => [t, channel.appIdFor(t)]))).toEqual({
      JSAPI: null,
      MINIPROGRAM: null,
      NATIVE: MP_APPID,
      MWEB: null,
      APP: APP_APPID,
    });
  });
});

describe('prepay: what unifiedorder sends', () => {
  it.each(ALL)('%s', async (tradeType) => {
    const { wechat, channel, config } = setup();
    wechat.on(UO, { fields: ANSWERS[tradeType] });
    const prepay = await channel.prepay(requestOf(tradeType));
    const { request } = wechat.calls[0]!;
    expect(request).toMatchObject({
      appid: APPIDS[tradeType],
      mch_id: config.mchId,
      trade_type: WIRE[tradeType],
      out_trade_no: `ATT-${tradeType}`,
      total_fee: '1999',
      spbill_create_ip: '203.0.113.9',
      sign_type: 'HMAC-SHA256',
      time_expire: '20260501110000',
    });
    expect(await verifyParams(request, config.apiKey, 'HMAC-SHA256')).toBe(true);
    // Only JSAPI (and the mini-program's JSAPI) names a buyer; only NATIVE a product; only MWEB a scene.
    expect(request.openid).toBe(tradeType === 'JSAPI' || tradeType === 'MINIPROGRAM' ? (PAYERS[tradeType] as { openid: string }).openid : undefined);
    expect(request.product_id).toBe(tradeType === 'NATIVE' ? 'SKU-42' : undefined);
    expect(request.scene_info).toBe(tradeType === 'MWEB' ? '{"h5_info":{"type":"Wap","wap_url":"http://127.0.0.1:8787","wap_name":"沙箱商户"}}' : undefined);
    const expected = { tradeType, prepayId: ANSWERS[tradeType].prepay_id };
    if (tradeType === 'NATIVE') Object.assign(expected, { codeUrl: CODE_URL });
    if (tradeType === 'MWEB') Object.assign(expected, { mwebUrl: MWEB_URL });
    expect(prepay).toEqual(expected);
  });

  it('MWEB scene_info is the JSON string of h5_info, escaped as JSON', async () => {
    const { wechat, channel } = setup();
    wechat.on(UO, { fields: ANSWERS.MWEB });
    const scene = { wapUrl: 'https://shop.example.com', wapName: 'A "quoted" \\ shop' };
    await channel.prepay({ ...requestOf('MWEB'), payer: { tradeType: 'MWEB', scene } });
    expect(JSON.parse(wechat.calls[0]!.request.scene_info!)).toEqual({ h5_info: { type: 'Wap', wap_url: scene.wapUrl, wap_name: scene.wapName } });
  });

  it('refused before anything is sent: a disabled trade type, an OrderRef under another appid, a bad product_id or scene', async () => {
    const off = setup({ WECHAT_TRADE_TYPES: 'JSAPI' });
    await expect(off.channel.prepay(requestOf('APP'))).rejects.toThrow(/not enabled/);
    const { wechat, channel } = setup();
    // A mini-program's attempt that does not name the mini-program's appid would be queried, closed and signed under the 公众号's.
    await expect(channel.prepay(requestOf('MINIPROGRAM', { outTradeNo: 'ATT-1', signType: 'MD5' }))).rejects.toThrow(/appid/);
    await expect(channel.prepay(requestOf('JSAPI', { outTradeNo: 'ATT-1', signType: 'MD5', appId: APP_APPID }))).rejects.toThrow(/appid/);
    await expect(channel.prepay({ ...requestOf('NATIVE'), payer: { tradeType: 'NATIVE', productId: 'x'.repeat(33) } })).rejects.toThrow(RangeError);
    await expect(channel.prepay({ ...requestOf('NATIVE'), payer: { tradeType: 'NATIVE', productId: 'SKU 42' } })).rejects.toThrow(RangeError);
    await expect(
      channel.prepay({ ...requestOf('MWEB'), payer: { tradeType: 'MWEB', scene: { wapUrl: 'https://shop.example.com', wapName: '商'.repeat(70) } } }),
    ).rejects.toThrow(RangeError);
    expect([off.wechat.calls, wechat.calls]).toEqual([[], []]);
  });
});

describe('prepay: answers refused (PROTOCOL)', () => {
  it.each(ALL)('%s under another appid, or naming none', async (tradeType) => {
    for (const appid of [tradeType === 'APP' ? MP_APPID : APP_APPID, '']) {
      const { wechat, channel } = setup();
      wechat.on(UO, { fields: { ...ANSWERS[tradeType], appid } });
      expect(await codeOf(channel.prepay(requestOf(tradeType))), appid).toBe('PROTOCOL');
    }
  });

  it.each<[TradeType, string]>([
    ['JSAPI', 'NATIVE'],
    ['MINIPROGRAM', 'MINIPROGRAM'], // a mini-program's order is JSAPI at WeChat
    ['NATIVE', 'JSAPI'],
    ['MWEB', 'NATIVE'],
    ['APP', 'JSAPI'],
    ['JSAPI', ''],
  ])('%s answered with trade_type %j', async (tradeType, answered) => {
    const { wechat, channel } = setup();
    wechat.on(UO, { fields: { ...ANSWERS[tradeType], trade_type: answered } });
    expect(await codeOf(channel.prepay(requestOf(tradeType)))).toBe('PROTOCOL');
  });

  it.each(['', 'wx 1', 'x'.repeat(65), '<prepay>'])('a prepay_id %j', async (prepayId) => {
    const { wechat, channel } = setup();
    wechat.on(UO, { fields: { ...ANSWERS.APP, prepay_id: prepayId } });
    expect(await codeOf(channel.prepay(requestOf('APP')))).toBe('PROTOCOL');
  });

  it.each([
    ['missing', ''],
    ['https', 'https://wx.tenpay.com/bizpayurl?pr=NwY5Mz9'],
    ['another weixin path', 'weixin://wxpay/evil?pr=NwY5Mz9'],
    ['javascript', 'javascript:alert(1)'],
    ['an empty pr', 'weixin://wxpay/bizpayurl?pr='],
    ['a space inside', 'weixin://wxpay/bizpayurl?pr=Nw Y5'],
    ['markup inside', 'weixin://wxpay/bizpayurl?pr=a"><script>'],
    ['over 256 characters', `weixin://wxpay/bizpayurl?pr=${'a'.repeat(230)}`],
  ])('NATIVE with a code_url %s', async (_n, codeUrl) => {
    const { wechat, channel } = setup();
    wechat.on(UO, { fields: { ...ANSWERS.NATIVE, code_url: codeUrl } });
    expect(await codeOf(channel.prepay(requestOf('NATIVE')))).toBe('PROTOCOL');
  });

  it.each([
    ['missing', ''],
    ['http', MWEB_URL.replace('https:', 'http:')],
    ['javascript', 'javascript:alert(1)//https://wx.tenpay.com/'],
    ['weixin', 'weixin://wxpay/bizpayurl?pr=NwY5Mz9'],
    ['with credentials', 'https://user:pass@wx.tenpay.com/cgi-bin/mmpayweb-bin/checkmweb?prepay_id=wx1'],
    ['a space inside', 'https://wx.tenpay.com/cgi-bin/mmpayweb-bin/checkmweb?prepay_id=wx1 x'],
    ['over 1024 characters', `https://wx.tenpay.com/cgi-bin/mmpayweb-bin/checkmweb?prepay_id=${'a'.repeat(1000)}`],
    ['not a URL', 'https://'],
  ])('MWEB with an mweb_url %s', async (_n, mwebUrl) => {
    const { wechat, channel } = setup();
    wechat.on(UO, { fields: { ...ANSWERS.MWEB, mweb_url: mwebUrl } });
    expect(await codeOf(channel.prepay(requestOf('MWEB')))).toBe('PROTOCOL');
  });

  it("MWEB over http: only the simulator's own pages, and only in sandbox mode", async () => {
    const sandbox = setup();
    const simulatorPage = `${sandbox.config.payBaseUrl}/mweb?prepay_id=wx1`;
    sandbox.wechat.on(UO, { fields: { ...ANSWERS.MWEB, mweb_url: simulatorPage } });
    expect(await sandbox.channel.prepay(requestOf('MWEB'))).toMatchObject({ mwebUrl: simulatorPage });
    sandbox.wechat.on(UO, { fields: { ...ANSWERS.MWEB, mweb_url: 'http://127.0.0.1:8787/elsewhere' } });
    expect(await codeOf(sandbox.channel.prepay(requestOf('MWEB')))).toBe('PROTOCOL');
    const live = setup({
      ...LIVE_VARS,
      WECHAT_TRADE_TYPES: 'MWEB',
    });
    live.wechat.on(UO, { fields: { ...ANSWERS.MWEB, mweb_url: 'http://pay.example.com/sandbox/mweb?prepay_id=wx1' } });
    expect(await codeOf(live.channel.prepay(requestOf('MWEB')))).toBe('PROTOCOL');
  });
});

describe('payParams', () => {
  const at = { timeStamp: Number(V3.params.timeStamp), nonce: V3.params.nonceStr };

  it('JSAPI: getBrandWCPayRequest under the 公众号 appid (official V3)', async () => {
    const { channel } = setup();
    const pay = await channel.payParams({ tradeType: 'JSAPI', prepayId: 'wx2611334392677180ea59742b3744840000' }, orderOf('JSAPI', 'MD5'), at);
    expect(pay).toEqual({ tradeType: 'JSAPI', params: { ...V3.params, paySign: V3.expected_paySign } });
  });

  it("MINIPROGRAM: wx.requestPayment signed under the mini-program's appid (official V5), which a 公众号 appid does not verify", async () => {
    const { channel } = setup();
    const prepay = { tradeType: 'MINIPROGRAM' as const, prepayId: 'wx2017033010242291fcfe0db70013231072' };
    const pay = await channel.payParams(prepay, orderOf('MINIPROGRAM', 'MD5'), { timeStamp: Number(V5.params.timeStamp), nonce: V5.params.nonceStr });
    expect(pay).toEqual({ tradeType: 'MINIPROGRAM', params: { ...V5.params, paySign: V5.expected_paySign } });
    if (pay.tradeType !== 'MINIPROGRAM') throw new Error('unreachable');
    const { paySign, ...signed } = pay.params;
    expect(await verifyParams({ ...signed, sign: paySign }, V5.key, 'MD5')).toBe(true);
    expect(await verifyParams({ ...signed, appId: MP_APPID, sign: paySign }, V5.key, 'MD5')).toBe(false);
  });

  it("MINIPROGRAM and APP: an OrderRef without the order's appid is refused, never signed under the 公众号's", async () => {
    const { channel } = setup();
    const bare = { outTradeNo: 'ATT-1', signType: 'MD5' as const };
    await expect(channel.payParams({ tradeType: 'MINIPROGRAM', prepayId: 'wx1' }, bare, at)).rejects.toThrow(/appid/);
    await expect(channel.payParams({ tradeType: 'APP', prepayId: 'wx1' }, bare, at)).rejects.toThrow(/appid/);
  });

  it('NATIVE: the code to show as a QR; MWEB: the URL to open', async () => {
    const { channel } = setup();
    expect(await channel.payParams({ tradeType: 'NATIVE', prepayId: 'wx1', codeUrl: CODE_URL }, orderOf('NATIVE'), at)).toEqual({
      tradeType: 'NATIVE',
      codeUrl: CODE_URL,
    });
    expect(await channel.payParams({ tradeType: 'MWEB', prepayId: 'wx1', mwebUrl: MWEB_URL }, orderOf('MWEB'), at)).toEqual({
      tradeType: 'MWEB',
      mwebUrl: MWEB_URL,
    });
  });

  it.each<[SignType, (s: string) => string]>([
    ['MD5', (s) => createHash('md5').update(s, 'utf8').digest('hex').toUpperCase()],
    ['HMAC-SHA256', (s) => createHmac('sha256', V3.key).update(s, 'utf8').digest('hex').toUpperCase()],
  ])("APP (%s): the PayReq under the app's appid, its sign recomputed with node:crypto", async (signType, oracle) => {
    const { channel, config } = setup();
    const pay = await channel.payParams({ tradeType: 'APP', prepayId: 'wx201410272009395522657a690389285101' }, orderOf('APP', signType), {
      timeStamp: 1490840662,
      nonce: '5K8264ILTKCH16CQ2502SI8ZNMTM67VS',
    });
    const base = `appid=${APP_APPID}&noncestr=5K8264ILTKCH16CQ2502SI8ZNMTM67VS&package=Sign=WXPay&partnerid=${config.mchId}&prepayid=wx201410272009395522657a690389285101&timestamp=1490840662&key=${V3.key}`;
    expect(pay).toEqual({
      tradeType: 'APP',
      params: {
        appid: APP_APPID,
        partnerid: config.mchId,
        prepayid: 'wx201410272009395522657a690389285101',
        package: 'Sign=WXPay',
        noncestr: '5K8264ILTKCH16CQ2502SI8ZNMTM67VS',
        timestamp: '1490840662',
        sign: oracle(base),
      },
    });
    expect((pay as { params: { sign: string } }).params.sign).not.toBe(oracle(base.replace(APP_APPID, MP_APPID)));
  });

  it('prepay then payParams, for every trade type: the params follow the prepay', async () => {
    for (const tradeType of ALL) {
      const { wechat, channel } = setup();
      wechat.on(UO, { fields: ANSWERS[tradeType] });
      const order = orderOf(tradeType);
      const pay = await channel.payParams(await channel.prepay(requestOf(tradeType, order)), order, at);
      expect(pay.tradeType, tradeType).toBe(tradeType);
      if (pay.tradeType === 'JSAPI' || pay.tradeType === 'MINIPROGRAM') expect(pay.params.appId).toBe(APPIDS[tradeType]);
      if (pay.tradeType === 'APP') expect(pay.params.appid).toBe(APP_APPID);
    }
  });
});
