/**
 * `wrangler dev` for the bench scripts: a fresh persisted-state directory, its migrations, the dev
 * server on a free 127.0.0.1 port (its own process group, `--var` overrides, a bounded log tail),
 * readiness on GET /healthz, and the cleanup that always runs (exit, SIGINT/SIGTERM, hard time limit).
 * Also what the seeding benches share: the local D1 file under the persisted state, the project's
 * own notify signer bundled on the fly, and a bounded-concurrency map.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const WRANGLER = path.join(ROOT, 'node_modules', '.bin', 'wrangler');
export const WRANGLER_ENV = { ...process.env, CI: 'true', WRANGLER_SEND_METRICS: 'false', NO_COLOR: '1' };
const TAIL_CHUNKS = 40;

export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** Runs one wrangler command to completion; its stdout, or an error naming `label` with the output's end. */
export function runWrangler(args, label, opts = {}) {
  const r = spawnSync(WRANGLER, args, { cwd: ROOT, env: WRANGLER_ENV, encoding: 'utf8', timeout: 600_000, maxBuffer: 64 << 20, ...opts });
  if (r.status !== 0) throw new Error(`${label} failed (${r.status}): ${(r.stderr || r.stdout || String(r.error ?? '')).slice(-2000)}`);
  return r.stdout;
}

/** The sandbox [vars] of wrangler.toml: the merchant the bench signs for and calls the API as. */
export function sandboxVars() {
  const toml = readFileSync(path.join(ROOT, 'wrangler.toml'), 'utf8');
  const section = toml.slice(toml.indexOf('[vars]'), toml.indexOf('[env.live]'));
  const get = (name) => new RegExp(`^${name}\\s*=\\s*"([^"]*)"`, 'm').exec(section)?.[1];
  return {
    appId: get('WECHAT_APPID'),
    mchId: get('WECHAT_MCH_ID'),
    key: get('WECHAT_API_KEY'),
    signType: get('WECHAT_SIGN_TYPE'),
    token: get('MERCHANT_API_TOKEN'),
  };
}

/**
 * One bench run's local wrangler state. Creates the persisted-state directory now and registers its
 * cleanup (wrangler's process group signalled, the directory removed unless `keepState`).
 */
export function wranglerDevState({ prefix, hardLimitMs, keepState = false, killSignal = 'SIGTERM' }) {
  const persistDir = mkdtempSync(path.join(tmpdir(), prefix));
  let child = null;
  const tail = [];
  const signalGroup = (signal) => {
    if (child?.pid && child.exitCode === null) {
      try {
        process.kill(-child.pid, signal); // its own process group: wrangler and workerd
      } catch {}
    }
  };
  const cleanup = () => {
    signalGroup(killSignal);
    if (!keepState) rmSync(persistDir, { recursive: true, force: true });
  };
  process.on('exit', cleanup);
  for (const sig of ['SIGINT', 'SIGTERM']) {
    process.on(sig, () => {
      cleanup();
      process.exit(130);
    });
  }
  setTimeout(() => {
    console.error('bench: hard time limit reached');
    cleanup();
    process.exit(2);
  }, hardLimitMs).unref();

  return {
    persistDir,
    cleanup,
    /** wrangler's pid (its process group's id), once started. */
    pid: () => child?.pid,
    /** The last lines wrangler printed, for failure messages. */
    tail: () => tail.join(''),
    migrate: () => runWrangler(['d1', 'migrations', 'apply', 'DB', '--local', '--persist-to', persistDir], 'migrations', { input: '' }),
    /**
     * Starts `wrangler dev` with PUBLIC_BASE_URL (and `vars`) overridden; resolves with its origin once
     * /healthz answers. `vars` may be a function of the origin (e.g. a WEBHOOK_URL on the same server).
     */
    async start({ vars = {}, args = [], readyTimeoutMs = 90_000 } = {}) {
      const port = await freePort();
      const inspectorPort = await freePort();
      const origin = `http://127.0.0.1:${port}`;
      const extra = typeof vars === 'function' ? vars(origin) : vars;
      const varArgs = Object.entries({ PUBLIC_BASE_URL: origin, ...extra }).flatMap(([k, v]) => ['--var', `${k}:${v}`]);
      child = spawn(
        WRANGLER,
        [
          'dev',
          '--ip',
          '127.0.0.1',
          '--port',
          String(port),
          '--inspector-port',
          String(inspectorPort),
          '--persist-to',
          persistDir,
          '--show-interactive-dev-session=false',
          ...varArgs,
          ...args,
        ],
        { cwd: ROOT, detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: WRANGLER_ENV },
      );
      // Request logs are read and dropped (kept only as a tail for failures): the pipe must never fill.
      const keep = (chunk) => {
        tail.push(String(chunk));
        if (tail.length > TAIL_CHUNKS) tail.shift();
      };
      child.stdout.on('data', keep);
      child.stderr.on('data', keep);
      const deadline = Date.now() + readyTimeoutMs;
      while (Date.now() < deadline) {
        if (child.exitCode !== null) throw new Error(`wrangler dev exited: ${tail.join('')}`);
        try {
          if ((await fetch(`${origin}/healthz`)).ok) return origin;
        } catch {}
        await new Promise((r) => setTimeout(r, 250));
      }
      throw new Error(`wrangler dev did not become ready: ${tail.join('')}`);
    },
    /** Ends wrangler's process group (SIGTERM) and waits until wrangler has exited. */
    async stop() {
      if (!child || child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      signalGroup('SIGTERM');
      await exited;
    },
  };
}

/** The local D1 database file (miniflare's D1DatabaseObject SQLite file) under a persisted-state directory, or null. */
export function localD1File(dir) {
  for (const name of readdirSync(dir)) {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) {
      const found = localD1File(p);
      if (found) return found;
    } else if (p.endsWith('.sqlite') && p.includes('D1DatabaseObject')) return p;
  }
  return null;
}

/** The project's own test signer (src/sandbox/notify.ts), bundled on the fly: no second signer in the benches. */
export async function loadSigner() {
  const out = await build({
    entryPoints: [path.join(ROOT, 'src/sandbox/notify.ts')],
    bundle: true,
    format: 'esm',
    platform: 'neutral',
    write: false,
    logLevel: 'silent',
  });
  const code = out.outputFiles[0].text;
  return import(`data:text/javascript;base64,${Buffer.from(code).toString('base64')}`);
}

/** Bounded-concurrency map: `fn(item, index)` over `items`, at most `width` at a time, results in order. */
export async function pool(items, width, fn) {
  let next = 0;
  const results = new Array(items.length);
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) {
        const i = next++;
        results[i] = await fn(items[i], i);
      }
    }),
  );
  return results;
}
