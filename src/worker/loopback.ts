// Which hosts count as this machine. The sandbox (whose key is public) may only be reached on these
// unless the operator opts in to a public demo, and the checkout keeps its cookies on one of them.

/** `host` as in URL.hostname or a Host header (port allowed): 127.0.0.0/8, `localhost`, `[::1]`. */
export function isLoopbackHost(host: string): boolean {
  const name = host.toLowerCase().replace(/^\[::1\](?::\d+)?$/, '[::1]').replace(/:\d+$/, '');
  if (name === 'localhost' || name === '[::1]' || name === '::1') return true;
  const octets = /^127\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(name);
  return octets !== null && octets.slice(1).every((o) => Number(o) <= 255);
}
