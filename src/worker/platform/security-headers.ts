// Response headers for the buyer-facing pages: a nonce-based CSP and no caching of anything order-specific.
import type { Context, MiddlewareHandler } from 'hono';
import { NONCE, secureHeaders } from 'hono/secure-headers';

/**
 * Nothing loads unless named here: scripts and styles only with this response's nonce (so no inline
 * handlers and no injected markup can run), fetches to our own origin, no framing, no base/form tricks.
 * `formAction`: where the page's forms may post (the checkout has none; the console posts to itself).
 */
function nonceSecurityHeaders(formAction: string[], referrerPolicy: 'no-referrer' | 'same-origin'): MiddlewareHandler {
  return secureHeaders({
    contentSecurityPolicy: {
      defaultSrc: ["'none'"],
      scriptSrc: [NONCE],
      styleSrc: [NONCE],
      connectSrc: ["'self'"],
      imgSrc: ["'self'", 'data:'],
      baseUri: ["'none'"],
      formAction,
      frameAncestors: ["'none'"],
    },
    xFrameOptions: 'DENY',
    referrerPolicy,
  });
}

const pageHeaders = nonceSecurityHeaders(["'none'"], 'no-referrer');
const ORIGIN_REFERRER = 'originReferrer';

/**
 * The checkout token is in the page URL: it must never leave in a Referer header. A page that must
 * name its site to the next one (sendOriginReferrer) gets `strict-origin`: the origin only, never the
 * path or query, and nothing over plain http from an https page.
 */
export const pageSecurityHeaders: MiddlewareHandler = async (c, next) => {
  await pageHeaders(c, next);
  if (c.get(ORIGIN_REFERRER) === true) c.res.headers.set('Referrer-Policy', 'strict-origin');
};

/** This page's navigations carry its origin as the Referer (WeChat's H5 page refuses an mweb_url opened without one: docs/sandbox.md, MWEB). */
export function sendOriginReferrer(c: Context): void {
  c.set(ORIGIN_REFERRER, true);
}

/**
 * The merchant console (/admin): the same policy, with forms posting to our own origin. Referrers go
 * to our own origin only: under no-referrer a form POST carries `Origin: null`, and the console's
 * same-origin check needs the real one.
 */
export const consoleSecurityHeaders: MiddlewareHandler = nonceSecurityHeaders(["'self'"], 'same-origin');

/** The nonce the CSP header of this response allows (set by pageSecurityHeaders before the handler runs). */
export function cspNonce(c: Context): string {
  const nonce = c.get('secureHeadersNonce');
  if (typeof nonce !== 'string') throw new Error('pageSecurityHeaders must run before rendering a page');
  return nonce;
}
