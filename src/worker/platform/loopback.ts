// Whether a host names this machine. The sandbox (whose key is public) may only be reached on these unless
// the operator opts in to a public demo. Strict on purpose: anything not plainly loopback is treated as public.

/** 127.0.0.0/8 in dotted decimal, `localhost`, or `[::1]`; optionally with a port. As in `URL.host`. */
const LOOPBACK_HOST = /^(?:localhost|127(?:\.(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}|\[::1\])(?::\d{1,5})?$/i;

export function isLoopbackHost(host: string): boolean {
  return LOOPBACK_HOST.test(host);
}
