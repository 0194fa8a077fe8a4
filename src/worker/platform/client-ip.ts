// The buyer's address as Cloudflare's edge saw it. Only CF-Connecting-IP: X-Forwarded-For and
// X-Real-IP are whatever the client wrote, so they are never read.
import type { Context } from 'hono';

// An IPv4 or IPv6 literal; anything else is treated as absent.
const IP_LITERAL = /^(?:[0-9]{1,3}(?:\.[0-9]{1,3}){3}|[0-9A-Fa-f:.]{2,45})$/;

/** CF-Connecting-IP when it is an IP literal, else null (absent in local development and in tests). */
export function connectingIp(c: Context): string | null {
  const ip = c.req.header('CF-Connecting-IP');
  return ip && IP_LITERAL.test(ip) ? ip : null;
}

/** The address unifiedorder is sent: CF-Connecting-IP, or loopback when there is none (as the simulator assumes). */
export function clientIp(c: Context): string {
  return connectingIp(c) ?? '127.0.0.1';
}
