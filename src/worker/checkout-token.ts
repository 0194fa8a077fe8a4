// The unguessable token in checkout links: HMAC-SHA256(CHECKOUT_SECRET, out_trade_no), base64url.
import { constantTimeEqual } from '../core';
import { hmacBase64url } from './hmac';

// A domain prefix keeps these MACs distinct from the OAuth cookie MACs made with the same secret.
const DOMAIN = 'checkout-link:';

export function makeCheckoutToken(checkoutSecret: string, outTradeNo: string): Promise<string> {
  return hmacBase64url(checkoutSecret, DOMAIN + outTradeNo);
}

/** Constant-time; false for a missing or malformed token. */
export async function verifyCheckoutToken(checkoutSecret: string, outTradeNo: string, token: string | null | undefined): Promise<boolean> {
  if (!token || token.length > 128) return false;
  return constantTimeEqual(await makeCheckoutToken(checkoutSecret, outTradeNo), token);
}

export async function checkoutUrl(publicBaseUrl: string, checkoutSecret: string, outTradeNo: string): Promise<string> {
  return `${publicBaseUrl}/pay/${encodeURIComponent(outTradeNo)}?t=${await makeCheckoutToken(checkoutSecret, outTradeNo)}`;
}
