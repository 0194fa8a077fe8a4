/** Identifiers the simulator issues, shaped like WeChat's so clients' format checks see real-looking values. */
import { formatWechatTime, nonceStr } from '../core';

function randomDigits(n: number): string {
  const bytes = new Uint8Array(n);
  crypto.getRandomValues(bytes);
  let out = '';
  for (const b of bytes) out += String(b % 10); // a slight bias is harmless for ids
  return out;
}

function randomHex(n: number): string {
  const bytes = new Uint8Array(Math.ceil(n / 2));
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0'))
    .join('')
    .slice(0, n);
}

/** `wx` + yyyyMMddHHmmss (Beijing) + 20 hex: 36 characters, like `wx2017033010242291fcfe0db70013231072`. */
export function newPrepayId(now: number): string {
  return 'wx' + formatWechatTime(new Date(now)) + randomHex(20);
}

/** 28 digits: `4200` + 4 digits + yyyyMMdd (Beijing) + 12 digits, like `4200001234202401011234567890`. */
export function newTransactionId(now: number): string {
  return '4200' + randomDigits(4) + formatWechatTime(new Date(now)).slice(0, 8) + randomDigits(12);
}

/** 29 digits, like `50300000000000000000000000000`. */
export function newRefundId(now: number): string {
  return '5030' + randomDigits(5) + formatWechatTime(new Date(now)).slice(0, 8) + randomDigits(12);
}

/** OAuth `code`: 32 alphanumerics. */
export function newOauthCode(): string {
  return nonceStr(32);
}

/** OAuth web access/refresh tokens (opaque, never checked again by the simulator). */
export function newToken(): string {
  return nonceStr(32) + nonceStr(32) + nonceStr(25);
}

/** NATIVE `code_url` (模式二): `weixin://wxpay/bizpayurl?pr=` + an opaque token, like `…?pr=XIKYjUK`. */
export function newCodeUrl(): string {
  return 'weixin://wxpay/bizpayurl?pr=' + nonceStr(11);
}

/** The `package` of an `mweb_url`: 10 digits, like `checkmweb?prepay_id=…&package=3876515033`. */
export function newMwebPackage(): string {
  return String(1 + (Number(randomDigits(1)) % 9)) + randomDigits(9);
}

/** A mini-program `session_key`: base64 of 16 random bytes (24 characters). */
export function newSessionKey(): string {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return btoa(String.fromCharCode(...bytes));
}
