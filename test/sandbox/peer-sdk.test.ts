// Independent cross-check with the npm SDK wechatpay-axios-plugin (devDependency, tests only).
//
// Its full axios client cannot load inside workerd: lib/transformer.js `require`s fast-xml-parser,
// whose dual ESM/CJS package the pool's CommonJS fallback resolves to nothing, and pre-bundling
// fails on the Node built-ins it requires (https, assert, util). So this test uses the SDK's own
// signer and comparator (lib/hash.js, lib/formatter.js: node:crypto, available under nodejs_compat)
// and reproduces its transformer's two steps with the same library and options it uses
// (fast-xml-parser XMLBuilder/XMLParser as configured in lib/transformer.js, v0.9.6): sign →
// build XML → POST → parse → verify (algorithm chosen by sign length, as the SDK's verifier does).
import { exports } from 'cloudflare:workers';
import { XMLBuilder, XMLParser } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
// @ts-expect-error -- CommonJS without typings
import PeerFormatter from 'wechatpay-axios-plugin/lib/formatter.js';
// @ts-expect-error -- CommonJS without typings
import PeerHash from 'wechatpay-axios-plugin/lib/hash.js';
import { advanceClock, ALICE, APPID, BASE, KEY, MCHID, newOutTradeNo } from './helpers';

const Hash = PeerHash as {
  sign(type: string, data: Record<string, string>, key: unknown): string;
  equals(known: string, user?: string): boolean;
  keyObjectFrom(thing: string): unknown;
};
const Formatter = PeerFormatter as { nonce(length?: number): string };

// Options as in wechatpay-axios-plugin lib/transformer.js.
const parser = new XMLParser({ ignoreDeclaration: true, parseTagValue: false, processEntities: true });
const builder = new XMLBuilder({
  suppressEmptyNode: true,
  processEntities: false,
  tagValueProcessor: (_: string, val: unknown) => (/[>'&"<]/.test(String(val)) ? `<![CDATA[${val}]]>` : `${val}`),
});

/** The SDK's v2 round trip against the simulator, with its signer and its verifier rule. */
async function peerPost(path: string, data: Record<string, string>, secret = KEY) {
  const key = Hash.keyObjectFrom(secret);
  const req: Record<string, string> = { ...data, nonce_str: Formatter.nonce() };
  const type = req.sign_type === 'HMAC-SHA256' ? 'HMAC-SHA256' : 'MD5';
  req.sign = Hash.sign(type, req, key);
  const res = await exports.default.fetch(`${BASE}/${path}`, {
    method: 'POST',
    body: builder.build({ xml: req }),
    headers: { 'Content-Type': 'text/xml; charset=utf-8' },
  });
  const reply = (parser.parse(await res.text()) as { xml: Record<string, string> }).xml;
  let verified: boolean | null = null;
  if (reply.return_code === 'SUCCESS') {
    const replyType = reply.sign && reply.sign.length === 64 ? 'HMAC-SHA256' : 'MD5';
    verified = Hash.equals(Hash.sign(replyType, reply, key), reply.sign);
  }
  return { reply, verified };
}

describe('wechatpay-axios-plugin (signer, comparator, XML library) against the simulator', () => {
  it.each(['MD5', 'HMAC-SHA256'])('places, queries and closes an order (%s); the peer verifies every reply', async (sign_type) => {
    const no = newOutTradeNo('PEER');
    const base = { appid: APPID, mch_id: MCHID, sign_type };
    const placed = await peerPost('pay/unifiedorder', {
      ...base,
      body: '对等SDK交叉验证 & <特殊字符>',
      out_trade_no: no,
      total_fee: '101',
      spbill_create_ip: '198.51.100.7',
      notify_url: `${BASE}/sim/receiver/${no}`,
      trade_type: 'JSAPI',
      openid: ALICE,
    });
    expect(placed.verified).toBe(true);
    expect(placed.reply).toMatchObject({ return_code: 'SUCCESS', result_code: 'SUCCESS', trade_type: 'JSAPI' });
    expect(placed.reply.prepay_id).toMatch(/^wx\d{14}/);
    expect(placed.reply.sign).toHaveLength(sign_type === 'MD5' ? 32 : 64);

    const queried = await peerPost('pay/orderquery', { ...base, out_trade_no: no });
    expect(queried.verified).toBe(true);
    expect(queried.reply).toMatchObject({ result_code: 'SUCCESS', trade_state: 'NOTPAY', out_trade_no: no, total_fee: '101' });

    await advanceClock(5 * 60_000);
    try {
      const closed = await peerPost('pay/closeorder', { ...base, out_trade_no: no });
      expect(closed.verified).toBe(true);
      expect(closed.reply).toMatchObject({ return_code: 'SUCCESS', result_code: 'SUCCESS' });
    } finally {
      await advanceClock(-5 * 60_000);
    }
    const after = await peerPost('pay/orderquery', { ...base, out_trade_no: no });
    expect(after.verified).toBe(true);
    expect(after.reply.trade_state).toBe('CLOSED');
  });

  it('a business error is signed and verifies; a wrong key is refused with 签名错误', async () => {
    const missing = await peerPost('pay/orderquery', { appid: APPID, mch_id: MCHID, out_trade_no: newOutTradeNo('PEER') });
    expect(missing.verified).toBe(true);
    expect(missing.reply).toMatchObject({ return_code: 'SUCCESS', result_code: 'FAIL', err_code: 'ORDERNOTEXIST' });
    const wrong = await peerPost('pay/orderquery', { appid: APPID, mch_id: MCHID, out_trade_no: newOutTradeNo('PEER') }, 'FAKE0peer0wrong0key0000000000000');
    expect(wrong.reply).toEqual({ return_code: 'FAIL', return_msg: '签名错误' });
  });

  it("the peer's verifier rejects a reply whose field was altered", async () => {
    const placed = await peerPost('pay/unifiedorder', {
      appid: APPID,
      mch_id: MCHID,
      body: 'x',
      out_trade_no: newOutTradeNo('PEER'),
      total_fee: '1',
      spbill_create_ip: '198.51.100.7',
      notify_url: `${BASE}/sim/receiver/peer`,
      trade_type: 'JSAPI',
      openid: ALICE,
    });
    const altered: Record<string, string> = { ...placed.reply, prepay_id: placed.reply.prepay_id + 'x' };
    expect(Hash.equals(Hash.sign('MD5', altered, Hash.keyObjectFrom(KEY)), altered.sign)).toBe(false);
  });
});
