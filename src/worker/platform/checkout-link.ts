// The unguessable token in checkout links: HMAC-SHA256 of out_trade_no under a key derived from
// CHECKOUT_SECRET by HKDF for this purpose alone (hmac.ts), base64url. A link seen by anyone is no
// oracle for the secret, and no other token made from the same secret verifies as a link.
import { constantTimeEqual } from '../../core';
import { purposeMac } from './hmac';

export function makeCheckoutToken(checkoutSecret: string, outTradeNo: string): Promise<string> {
  return purposeMac(checkoutSecret, 'checkout-link', outTradeNo);
}

/** Constant-time; false for a missing or malformed token. */
export async function verifyCheckoutToken(checkoutSecret: string, outTradeNo: string, token: string | null | undefined): Promise<boolean> {
  if (!token || token.length > 128) return false;
  return constantTimeEqual(await makeCheckoutToken(checkoutSecret, outTradeNo), token);
}

export async function checkoutUrl(publicBaseUrl: string, checkoutSecret: string, outTradeNo: string): Promise<string> {
  return `${publicBaseUrl}/pay/${encodeURIComponent(outTradeNo)}?t=${await makeCheckoutToken(checkoutSecret, outTradeNo)}`;
}
