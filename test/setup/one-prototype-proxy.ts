// Works around a bug of @cloudflare/vitest-pool-workers 0.15.1 (cloudflare/workers-sdk#15092, fixed
// upstream by #15106): its worker and Durable Object wrapper classes wrap their prototype in one more
// Proxy on every construction, so each request through `exports.default` and each new Durable Object
// makes every later method lookup walk one more `get` trap. Over the thousands of requests of a
// suite file (test/support/suite.ts) tests slow down several-fold and finally hang. This makes that
// wrapping happen once per class, as the upstream fix does: when the pool asks to wrap a prototype
// that is already its own Proxy, the same Proxy is returned. Any other Proxy is built as before.
// Remove this file (and its setupFiles entry) once the pool includes the fix.

/** The pool's prototype handler: its `get` trap defers unknown keys to `getUnknownPrototypeKey`. */
function isPoolPrototypeHandler(handler: unknown): boolean {
  const get = (handler as { get?: unknown } | null)?.get;
  return typeof get === 'function' && Function.prototype.toString.call(get).includes('getUnknownPrototypeKey');
}

const g = globalThis as { Proxy: ProxyConstructor; __onePrototypeProxy?: true };
if (!g.__onePrototypeProxy) {
  g.__onePrototypeProxy = true;
  const poolProxies = new WeakSet<object>();
  g.Proxy = new Proxy(Proxy, {
    construct(native, args: [object, ProxyHandler<object>], newTarget) {
      const [target, handler] = args;
      const pool = isPoolPrototypeHandler(handler);
      if (pool && poolProxies.has(target)) return target;
      const made = Reflect.construct(native, args, newTarget) as object;
      if (pool) poolProxies.add(made);
      return made;
    },
  });
}
