import { z } from 'zod';
import { isWechatText, SANDBOX_APP_APPID, SANDBOX_MINI_PROGRAM_APPID, SANDBOX_MINI_PROGRAM_SECRET, weakSecretReason } from '../../core';
import { TRADE_TYPES, type TradeType } from '../channel';
import { v3SecretValues, v3SettingsOf, V3_SECRET_VARS, type ApiVersion, type V3Settings } from './config-v3';
import { isLoopbackHost } from './loopback';

export type { ApiVersion, V3Settings } from './config-v3';

/** Keys published in WeChat's docs or in peer SDK tests, and our own sandbox defaults: never valid in live mode (I12). */
export const DOCUMENTED_EXAMPLE_SECRETS: ReadonlySet<string> = new Set([
  '192006250b4c09247ec02edce69f6a2d', // 安全规范 example key, also our sandbox key
  'qazwsxedcrfvtgbyhnujmikolp111111', // JSAPI 调起支付 example key
  'testmchkey1234567890123456789012', // WxJava test key
  '88888888888888888888888888888888', // EasyWeChat test key
  'FixtureTestKey0123456789abcdefXY', // reference fixtures key
  'sandbox-app-secret-not-for-live-use',
  'sandbox-merchant-token-not-for-live-use',
  'sandbox-checkout-secret-not-for-live-use',
  'whsec_d3hwYXktZWRnZSBzYW5kYm94IHdlYmhvb2sgc2VjcmV0LCBub3QgZm9yIGxpdmUgdXNl', // our sandbox WEBHOOK_SECRET
  'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', // the Standard Webhooks / Svix documentation example
  'sandbox-admin-token-not-for-live-use',
  SANDBOX_MINI_PROGRAM_SECRET, // the sandbox's test mini-program
]);

/** The sandbox's own test appids (core/sandbox-protocol.ts): never an appid at WeChat, refused in live mode. */
const SANDBOX_TEST_APPIDS: ReadonlySet<string> = new Set([SANDBOX_MINI_PROGRAM_APPID, SANDBOX_APP_APPID]);

const LIVE_PAY_BASE_URL = 'https://api.mch.weixin.qq.com';
export const SANDBOX_PATH = '/sandbox';

export interface Config {
  readonly mode: 'sandbox' | 'live';
  /**
   * WECHAT_API_VERSION: which WeChat Pay API the gateway calls (v2, the default, or v3). Notifies of
   * both versions are read whatever it says (orders placed before a switch still notify the old way).
   */
  readonly apiVersion: ApiVersion;
  /**
   * API v3 keys (platform/config-v3.ts): always in v3 mode, always in sandbox mode (the simulator's
   * test keys unless set), null in live mode on API v2.
   */
  readonly v3: V3Settings | null;
  readonly appId: string;
  readonly mchId: string;
  readonly apiKey: string;
  readonly appSecret: string;
  readonly signType: 'MD5' | 'HMAC-SHA256';
  readonly merchantApiToken: string;
  readonly checkoutSecret: string;
  /** Origin the buyer and WeChat reach us on, without a trailing slash. */
  readonly publicBaseUrl: string;
  readonly maxTotalFee: number;
  /** Merchant H5 origins allowed to call the jsapi endpoint cross-origin. */
  readonly merchantOrigins: readonly string[];
  /** Where the WeChat Pay v2 API lives: WeChat itself, or the embedded simulator. */
  readonly payBaseUrl: string;
  /** Shown to buyers on the checkout page and the simulator's pay sheet. */
  readonly merchantName: string;
  /** Sandbox only: the operator accepts that anyone who reaches the gateway can pay in the simulator. */
  readonly sandboxAllowPublic: boolean;
  /**
   * Merchant webhooks: where events are POSTed, and the Standard Webhooks signing secret
   * (`whsec_` + base64). Without a URL events are recorded in the outbox but not delivered.
   */
  readonly webhookUrl: string | null;
  readonly webhookSecret: string | null;
  /** The merchant console's login token (/admin); null: the console is off. */
  readonly adminToken: string | null;
  /** Why the console is off although ADMIN_TOKEN is set (in live mode: a documented example, or too weak). */
  readonly adminTokenProblem: string | null;
  /** Cloudflare Access in front of /admin: both set, or null (then only the token protects it). */
  readonly access: { readonly teamOrigin: string; readonly aud: string } | null;
  /** The trade types the merchant takes (WECHAT_TRADE_TYPES; sandbox default all five, live default JSAPI). */
  readonly tradeTypes: ReadonlySet<TradeType>;
  /** The mini-program bound to mch_id: its appid and AppSecret (jscode2session). Null unless MINIPROGRAM is enabled. */
  readonly miniProgram: { readonly appId: string; readonly secret: string } | null;
  /** The open-platform mobile app's appid (trade_type APP). Null unless APP is enabled. */
  readonly appAppId: string | null;
  /** MWEB's scene_info wap_name (H5_WAP_NAME, default the merchant name); its wap_url is PUBLIC_BASE_URL. */
  readonly h5WapName: string;
  /**
   * LATE_PAYMENT_POLICY: a payment for an order already closed, expired or failed (PAID_AFTER_CLOSE)
   * is refunded in full automatically (`refund`, the default), or held for the merchant to refund or
   * fulfil (`hold`). Either way it is recorded, credited and reported (I5).
   */
  readonly refundLatePayments: boolean;
  /** HOT_DAYS: final orders created before the Beijing day this many days ago move to the R2 archive (docs/scaling.md §6). */
  readonly hotDays: number;
  /** EVIDENCE_DAYS: raw notify bodies older than this many days move from D1 to R2 (docs/scaling.md §5 lever 1). */
  readonly evidenceDays: number;
  /** HISTORY_DAYS: a paid, final order's history (attempt, ledger, notifies, events) moves to R2 after this many days; the order row stays until HOT_DAYS (docs/scaling.md §6). */
  readonly historyDays: number;
}

/** Every variable that holds a secret, as the schema declares it: the log scrubber redacts their values. */
const SECRET_VARS = new Set<string>(['WEBHOOK_SECRET', 'ADMIN_TOKEN', ...V3_SECRET_VARS]);

const secret = (name: string, min: number) => {
  SECRET_VARS.add(name);
  return z
    .string({ error: `${name} is missing` })
    .min(min, { error: `${name} is shorter than ${min} characters` })
    .refine((v) => !/\s/.test(v), { error: `${name} contains whitespace` });
};

const appid = (name: string) => z.string({ error: `${name} is missing` }).regex(/^wx[0-9a-z]{16}$/, { error: `${name} is not an appid` });

/** A whole number of days from 1 to 3650: the hot window, how long notify bodies stay in D1. */
const days = (name: string, dflt: number) =>
  z.preprocess(
    emptyAsAbsent,
    z.coerce
      .number({ error: `${name} is not a number` })
      .int({ error: `${name} must be a whole number of days` })
      .min(1, { error: `${name} must be at least 1` })
      .max(3650, { error: `${name} must be at most 3650` })
      .default(dflt),
  );

const schema = z.object({
  WECHAT_MODE: z.enum(['sandbox', 'live'], { error: 'WECHAT_MODE must be sandbox or live' }),
  WECHAT_APPID: appid('WECHAT_APPID'),
  WECHAT_MCH_ID: z.string({ error: 'WECHAT_MCH_ID is missing' }).regex(/^\d{6,16}$/, { error: 'WECHAT_MCH_ID is not a mch_id' }),
  WECHAT_API_KEY: secret('WECHAT_API_KEY', 32).refine((v) => v.length === 32, { error: 'WECHAT_API_KEY must be 32 characters' }),
  WECHAT_APP_SECRET: secret('WECHAT_APP_SECRET', 16),
  WECHAT_SIGN_TYPE: z.enum(['MD5', 'HMAC-SHA256'], { error: 'WECHAT_SIGN_TYPE must be MD5 or HMAC-SHA256' }).default('HMAC-SHA256'),
  // The v3 keys themselves are read by platform/config-v3.ts.
  WECHAT_API_VERSION: z.preprocess(emptyAsAbsent, z.enum(['v2', 'v3'], { error: 'WECHAT_API_VERSION must be v2 or v3' }).default('v2')),
  // Empty values are the same as none (the mode's default, or the sandbox's test applications).
  WECHAT_TRADE_TYPES: z.preprocess(emptyAsAbsent, z.string().optional()),
  WECHAT_MINIPROGRAM_APPID: z.preprocess(emptyAsAbsent, appid('WECHAT_MINIPROGRAM_APPID').optional()),
  WECHAT_MINIPROGRAM_SECRET: z.preprocess(emptyAsAbsent, secret('WECHAT_MINIPROGRAM_SECRET', 16).optional()),
  WECHAT_APP_APPID: z.preprocess(emptyAsAbsent, appid('WECHAT_APP_APPID').optional()),
  H5_WAP_NAME: z.string().optional(),
  LATE_PAYMENT_POLICY: z.preprocess(emptyAsAbsent, z.enum(['refund', 'hold'], { error: 'LATE_PAYMENT_POLICY must be refund or hold' }).default('refund')),
  MERCHANT_API_TOKEN: secret('MERCHANT_API_TOKEN', 24),
  CHECKOUT_SECRET: secret('CHECKOUT_SECRET', 32),
  PUBLIC_BASE_URL: z.url({ error: 'PUBLIC_BASE_URL is not a URL' }),
  MAX_TOTAL_FEE: z.coerce.number({ error: 'MAX_TOTAL_FEE is not a number' }).int().positive().default(10_000_000),
  HOT_DAYS: days('HOT_DAYS', 90),
  EVIDENCE_DAYS: days('EVIDENCE_DAYS', 7),
  HISTORY_DAYS: days('HISTORY_DAYS', 3),
  MERCHANT_ORIGINS: z.string().default(''),
  MERCHANT_NAME: z.string().optional(),
  SANDBOX_ALLOW_PUBLIC: z.enum(['true', 'false'], { error: 'SANDBOX_ALLOW_PUBLIC must be true or false' }).default('false'),
  // An empty value is the same as none (webhooks off).
  WEBHOOK_URL: z.preprocess(emptyAsAbsent, z.url({ error: 'WEBHOOK_URL is not a URL' }).optional()),
  WEBHOOK_SECRET: z.preprocess(
    emptyAsAbsent,
    z.string().refine(isWebhookSecret, { error: 'WEBHOOK_SECRET must be whsec_ followed by the base64 of at least 24 bytes' }).optional(),
  ),
  // Judged apart (adminTokenProblem): a bad console token turns off the console, never payments.
  ADMIN_TOKEN: z.string().optional(),
  // Only Cloudflare's own Access host: the key set is fetched from here, so another host could sign its own JWTs.
  ACCESS_TEAM_DOMAIN: z
    .string()
    .regex(/^(https:\/\/)?[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.cloudflareaccess\.com\/?$/i, {
      error: 'ACCESS_TEAM_DOMAIN must be <team>.cloudflareaccess.com',
    })
    .optional(),
  ACCESS_AUD: z
    .string()
    .regex(/^[0-9a-f]{64}$/, { error: 'ACCESS_AUD is not an Access application audience tag' })
    .optional(),
});

function emptyAsAbsent(v: unknown): unknown {
  return v === '' ? undefined : v;
}

/** Standard Webhooks: `whsec_` + base64 of the key bytes; we ask for at least 24 random bytes. */
function isWebhookSecret(v: string): boolean {
  const m = /^whsec_([A-Za-z0-9+/]+={0,2})$/.exec(v);
  if (!m || m[1]!.length % 4 !== 0) return false;
  try {
    return atob(m[1]!).length >= 24;
  } catch {
    return false;
  }
}

/**
 * WEBHOOK_URL: https, or in sandbox also http on a loopback host (a local receiver). With a URL the
 * secret is required, and in live mode it must not be a documented example (I12).
 */
function webhookProblems(mode: 'sandbox' | 'live', url: string | undefined, secret: string | undefined): string[] {
  if (url === undefined) return [];
  const problems: string[] = [];
  const u = new URL(url);
  const loopbackHttp = u.protocol === 'http:' && isLoopbackHost(u.host);
  if (u.protocol !== 'https:' && !(mode === 'sandbox' && loopbackHttp)) {
    problems.push(mode === 'live' ? 'WEBHOOK_URL must be https in live mode' : 'WEBHOOK_URL must be https, or http on a loopback host in sandbox mode');
  }
  if (u.username || u.password) problems.push('WEBHOOK_URL must not carry credentials');
  if (secret === undefined) problems.push('WEBHOOK_SECRET is missing (required with WEBHOOK_URL)');
  else if (mode === 'live' && DOCUMENTED_EXAMPLE_SECRETS.has(secret)) problems.push('WEBHOOK_SECRET is a documented example value and is refused in live mode');
  return problems;
}

/** The sandbox signs with a published key: reachable beyond this machine, anyone could mark orders paid. */
const PUBLIC_SANDBOX =
  'the sandbox is reachable on a non-loopback host; its key is public, so anyone could pay. Set SANDBOX_ALLOW_PUBLIC = "true" only for a public demo';

/** A name a buyer can read; the sandbox's default says what it is. */
function merchantNameOf(raw: string | undefined, mode: 'sandbox' | 'live'): string {
  const name = (raw ?? '').trim();
  if (name && name.length <= 64) return name;
  return mode === 'sandbox' ? '沙箱商户' : '商户';
}

const SECRET_NAMES = ['WECHAT_API_KEY', 'WECHAT_APP_SECRET', 'MERCHANT_API_TOKEN', 'CHECKOUT_SECRET'] as const;
const APPID_NAMES = ['WECHAT_APPID', 'WECHAT_MINIPROGRAM_APPID', 'WECHAT_APP_APPID'] as const;

/** WECHAT_TRADE_TYPES, or the mode's default: all five in the sandbox, JSAPI (the hosted checkout) in live. Null: an unknown name. */
function tradeTypesOf(raw: string | undefined, mode: 'sandbox' | 'live'): ReadonlySet<TradeType> | null {
  if (raw === undefined) return new Set<TradeType>(mode === 'sandbox' ? TRADE_TYPES : ['JSAPI']);
  const names = raw
    .split(',')
    .map((n) => n.trim())
    .filter(Boolean);
  if (names.length === 0 || names.some((n) => !(TRADE_TYPES as readonly string[]).includes(n))) return null;
  return new Set(names as TradeType[]);
}

interface Applications {
  readonly miniProgram: Config['miniProgram'];
  readonly appAppId: string | null;
  readonly problems: string[];
}

/**
 * The mini-program and the mobile app the enabled trade types pay under. Live mode needs them named;
 * the sandbox falls back to its fixed test ones. Each application has its own appid: one equal to
 * another is a misconfiguration (a pay signature would verify under the wrong application).
 */
function applicationsOf(
  v: Pick<z.infer<typeof schema>, 'WECHAT_MODE' | 'WECHAT_APPID' | 'WECHAT_MINIPROGRAM_APPID' | 'WECHAT_MINIPROGRAM_SECRET' | 'WECHAT_APP_APPID'>,
  tradeTypes: ReadonlySet<TradeType>,
): Applications {
  const problems: string[] = [];
  const sandbox = v.WECHAT_MODE === 'sandbox';
  const required = (name: string, tradeType: TradeType) => `${name} is missing (required when WECHAT_TRADE_TYPES includes ${tradeType})`;
  let miniProgram: Config['miniProgram'] = null;
  if (tradeTypes.has('MINIPROGRAM')) {
    const appId = v.WECHAT_MINIPROGRAM_APPID;
    const secret = v.WECHAT_MINIPROGRAM_SECRET;
    if (appId === undefined && secret === undefined && sandbox) {
      miniProgram = { appId: SANDBOX_MINI_PROGRAM_APPID, secret: SANDBOX_MINI_PROGRAM_SECRET };
    } else if (appId === undefined || secret === undefined) {
      if (appId === undefined) problems.push(required('WECHAT_MINIPROGRAM_APPID', 'MINIPROGRAM'));
      if (secret === undefined) problems.push(required('WECHAT_MINIPROGRAM_SECRET', 'MINIPROGRAM'));
    } else {
      miniProgram = { appId, secret };
    }
  }
  let appAppId: string | null = null;
  if (tradeTypes.has('APP')) {
    if (v.WECHAT_APP_APPID !== undefined) appAppId = v.WECHAT_APP_APPID;
    else if (sandbox) appAppId = SANDBOX_APP_APPID;
    else problems.push(required('WECHAT_APP_APPID', 'APP'));
  }
  if (miniProgram && miniProgram.appId === v.WECHAT_APPID) problems.push('WECHAT_MINIPROGRAM_APPID must differ from WECHAT_APPID');
  if (appAppId !== null && appAppId === v.WECHAT_APPID) problems.push('WECHAT_APP_APPID must differ from WECHAT_APPID');
  if (appAppId !== null && appAppId === miniProgram?.appId) problems.push('WECHAT_APP_APPID must differ from WECHAT_MINIPROGRAM_APPID');
  return { miniProgram, appAppId, problems };
}

const H5_WAP_NAME_MAX = 64;
/** scene_info is String(256) in WeChat's H5 unifiedorder table; checked here (UTF-8 bytes) so no payment finds out. */
const SCENE_INFO_MAX_BYTES = 256;

/** H5_WAP_NAME, trimmed (default: the merchant name); null when it is too long or not text WeChat can carry. */
function h5WapNameOf(raw: string | undefined, merchantName: string): string | null {
  const name = (raw ?? '').trim();
  if (!name) return merchantName;
  return name.length <= H5_WAP_NAME_MAX && isWechatText(name) ? name : null;
}

/** MWEB's scene_info as wechat/unifiedorder.ts sends it (h5SceneInfo; docs/wechatpay-v2.md §23.2), for its length only. */
function sceneInfoBytes(wapUrl: string, wapName: string): number {
  return new TextEncoder().encode(JSON.stringify({ h5_info: { type: 'Wap', wap_url: wapUrl, wap_name: wapName } })).byteLength;
}

/**
 * Why a live secret that an attacker could test at leisure is refused: a documented example, or
 * fewer than 128 bits (I12). Names the variable, never the value.
 */
function liveSecretProblem(name: string, value: string, guessable: boolean): string | null {
  if (DOCUMENTED_EXAMPLE_SECRETS.has(value)) return `${name} is a documented example value and is refused in live mode`;
  const weak = guessable ? weakSecretReason(value) : null;
  return weak ? `${name} ${weak} and is refused in live mode` : null;
}

/** Why the console's token is refused (then only the console is off), or null. */
function consoleTokenProblem(mode: 'sandbox' | 'live', token: string | undefined): string | null {
  if (token === undefined) return null;
  const basic = secret('ADMIN_TOKEN', 24).safeParse(token);
  if (!basic.success) return basic.error.issues[0]?.message ?? 'ADMIN_TOKEN is invalid';
  return mode === 'live' ? liveSecretProblem('ADMIN_TOKEN', token, true) : null;
}

/** The values of every secret variable set in `env` (and a webhook secret's key part): what no log may show. */
export function configuredSecrets(env: Record<string, unknown>): string[] {
  const values: string[] = [];
  for (const name of SECRET_VARS) {
    const v = env[name];
    if (typeof v !== 'string' || v.length < 8 || (V3_SECRET_VARS as readonly string[]).includes(name)) continue;
    values.push(v);
    if (v.startsWith('whsec_')) values.push(v.slice('whsec_'.length));
  }
  return [...values, ...v3SecretValues(env)];
}

export type ConfigResult = { ok: true; config: Config } | { ok: false; problems: string[] };

/** Pure: env in, config or the list of problems out. Problems name variables, never their values. */
export function parseConfig(env: Record<string, unknown>): ConfigResult {
  const parsed = schema.safeParse(env);
  if (!parsed.success) return { ok: false, problems: parsed.error.issues.map((i) => i.message) };
  const v = parsed.data;
  if (v.WECHAT_MODE === 'live') {
    // CHECKOUT_SECRET keys tokens that anyone holding a link can test guesses against offline.
    const problems = SECRET_NAMES.map((n) => liveSecretProblem(n, v[n], n === 'CHECKOUT_SECRET')).filter((p) => p !== null);
    if (v.WECHAT_MINIPROGRAM_SECRET !== undefined) {
      const p = liveSecretProblem('WECHAT_MINIPROGRAM_SECRET', v.WECHAT_MINIPROGRAM_SECRET, false);
      if (p) problems.push(p);
    }
    for (const n of APPID_NAMES) {
      const id = v[n];
      if (id !== undefined && SANDBOX_TEST_APPIDS.has(id)) problems.push(`${n} is a sandbox test appid and is refused in live mode`);
    }
    if (!v.PUBLIC_BASE_URL.startsWith('https://')) problems.push('PUBLIC_BASE_URL must be https in live mode');
    problems.push(...webhookProblems('live', v.WEBHOOK_URL, v.WEBHOOK_SECRET));
    if (problems.length) return { ok: false, problems };
  } else if (v.SANDBOX_ALLOW_PUBLIC !== 'true' && !isLoopbackHost(new URL(v.PUBLIC_BASE_URL).hostname)) {
    return { ok: false, problems: [`PUBLIC_BASE_URL: ${PUBLIC_SANDBOX}`] };
  } else {
    const problems = webhookProblems('sandbox', v.WEBHOOK_URL, v.WEBHOOK_SECRET);
    if (problems.length) return { ok: false, problems };
  }
  if ((v.ACCESS_TEAM_DOMAIN === undefined) !== (v.ACCESS_AUD === undefined)) {
    return { ok: false, problems: ['ACCESS_TEAM_DOMAIN and ACCESS_AUD must be set together'] };
  }
  // The console's token is refused in live mode like the others, but refusing it turns off only the
  // console (/admin answers 503): a console misconfiguration must not stop payments.
  const adminTokenProblem = consoleTokenProblem(v.WECHAT_MODE, v.ADMIN_TOKEN);
  const publicBaseUrl = v.PUBLIC_BASE_URL.replace(/\/+$/, '');
  const tradeTypes = tradeTypesOf(v.WECHAT_TRADE_TYPES, v.WECHAT_MODE);
  if (!tradeTypes) return { ok: false, problems: [`WECHAT_TRADE_TYPES must be a comma-separated list of ${TRADE_TYPES.join(', ')}`] };
  const { miniProgram, appAppId, problems } = applicationsOf(v, tradeTypes);
  const merchantName = merchantNameOf(v.MERCHANT_NAME, v.WECHAT_MODE);
  const h5WapName = h5WapNameOf(v.H5_WAP_NAME, merchantName);
  if (h5WapName === null) problems.push(`H5_WAP_NAME must be at most ${H5_WAP_NAME_MAX} characters of plain text`);
  else if (tradeTypes.has('MWEB') && sceneInfoBytes(publicBaseUrl, h5WapName) > SCENE_INFO_MAX_BYTES) {
    problems.push(`PUBLIC_BASE_URL and H5_WAP_NAME make MWEB's scene_info longer than ${SCENE_INFO_MAX_BYTES} bytes`);
  }
  const v3 = v3SettingsOf(env, v.WECHAT_MODE, v.WECHAT_API_VERSION);
  problems.push(...v3.problems);
  if (problems.length) return { ok: false, problems };
  return {
    ok: true,
    config: {
      mode: v.WECHAT_MODE,
      apiVersion: v.WECHAT_API_VERSION,
      v3: v3.settings,
      appId: v.WECHAT_APPID,
      mchId: v.WECHAT_MCH_ID,
      apiKey: v.WECHAT_API_KEY,
      appSecret: v.WECHAT_APP_SECRET,
      signType: v.WECHAT_SIGN_TYPE,
      merchantApiToken: v.MERCHANT_API_TOKEN,
      checkoutSecret: v.CHECKOUT_SECRET,
      publicBaseUrl,
      refundLatePayments: v.LATE_PAYMENT_POLICY === 'refund',
      maxTotalFee: v.MAX_TOTAL_FEE,
      hotDays: v.HOT_DAYS,
      evidenceDays: v.EVIDENCE_DAYS,
      historyDays: v.HISTORY_DAYS,
      merchantOrigins: v.MERCHANT_ORIGINS.split(',')
        .map((o) => o.trim())
        .filter(Boolean),
      payBaseUrl: v.WECHAT_MODE === 'sandbox' ? publicBaseUrl + SANDBOX_PATH : LIVE_PAY_BASE_URL,
      sandboxAllowPublic: v.SANDBOX_ALLOW_PUBLIC === 'true',
      merchantName,
      webhookUrl: v.WEBHOOK_URL ?? null,
      webhookSecret: v.WEBHOOK_SECRET ?? null,
      adminToken: adminTokenProblem ? null : (v.ADMIN_TOKEN ?? null),
      adminTokenProblem,
      access:
        v.ACCESS_TEAM_DOMAIN && v.ACCESS_AUD
          ? {
              teamOrigin: `https://${v.ACCESS_TEAM_DOMAIN.replace(/^https:\/\//i, '')
                .replace(/\/$/, '')
                .toLowerCase()}`,
              aud: v.ACCESS_AUD,
            }
          : null,
      tradeTypes,
      miniProgram,
      appAppId,
      h5WapName: h5WapName ?? merchantName,
    },
  };
}

const memo = new WeakMap<object, ConfigResult>();

/** Parsed once per env object (the runtime reuses it across requests). */
export function getConfig(env: Env): ConfigResult {
  let result = memo.get(env);
  if (!result) {
    result = parseConfig(env as unknown as Record<string, unknown>);
    memo.set(env, result);
  }
  return result;
}

/**
 * The config as it applies to one request: a sandbox that is not opted in to being public is
 * invalid for any request that arrived on a non-loopback host (a plain `wrangler deploy` of the
 * sandbox defaults, or `wrangler dev --ip 0.0.0.0` reached from the network).
 */
export function configForRequest(env: Env, requestUrl: string): ConfigResult {
  const result = getConfig(env);
  if (!result.ok || result.config.mode !== 'sandbox' || result.config.sandboxAllowPublic) return result;
  if (isLoopbackHost(new URL(requestUrl).hostname)) return result;
  return { ok: false, problems: [`request host: ${PUBLIC_SANDBOX}`] };
}
