/**
 * Test buyers of the simulator. An openid is per appid (docs/wechatpay-v2.md §5), so each is derived from
 * the appid and the user's name: deterministic across runs, different under another appid, and
 * shaped like a real one (`o` + 27 characters of [A-Za-z0-9_-], 28 in all).
 */
import { base64urlEncode, hexToBytes, md5Hex } from '../core';

interface TestUser {
  name: string;
  /** Shown on the pick page. */
  label: string;
  /** A 快照页 (snapshot page) virtual account: OAuth reports is_snapshotuser=1 (§5). */
  snapshot: boolean;
}

export const TEST_USERS: readonly TestUser[] = Object.freeze([
  { name: 'alice', label: 'Alice（普通用户）', snapshot: false },
  { name: 'bob', label: 'Bob（普通用户）', snapshot: false },
  { name: 'carol', label: 'Carol（普通用户）', snapshot: false },
  { name: 'snapshot', label: '快照页虚拟用户（is_snapshotuser=1）', snapshot: true },
]);

/** Names typed into the pick page's free entry: short, URL-safe, case-sensitive. */
export const USER_NAME = /^[A-Za-z0-9_-]{1,32}$/;

/** `o` + 27 characters from md5(appid:name) ‖ md5(name:appid). */
export function openidFor(appId: string, name: string): string {
  const digest = new Uint8Array([...hexToBytes(md5Hex(`${appId}:${name}`)), ...hexToBytes(md5Hex(`${name}:${appId}`))]);
  return 'o' + base64urlEncode(digest).slice(0, 27);
}

export function fixedUser(name: string): TestUser | undefined {
  return TEST_USERS.find((u) => u.name === name);
}
