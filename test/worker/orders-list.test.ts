import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { AUTH, api, createOrder, freshNo } from '../support/orders-helpers';

async function list(query: string) {
  const res = await api(`/v1/orders?${query}`, { headers: AUTH });
  expect(res.status).toBe(200);
  expect(res.headers.get('Cache-Control')).toBe('no-store');
  return (await res.json()) as { data: Record<string, any>[]; next_cursor: string | null };
}

/** Seeds orders with known created_at values (one tag per test keeps tests apart in shared storage). */
async function seed(tag: string, count: number, baseIso: string, status = 'NOTPAY'): Promise<string[]> {
  const nos: string[] = [];
  for (let i = 0; i < count; i++) {
    const no = `${tag}${String(i).padStart(3, '0')}`;
    const created = Date.parse(baseIso) + i * 1000; // epoch ms since 0018
    await env.DB.prepare(
      `INSERT INTO orders (out_trade_no, description, total_fee, status, sign_type, request_hash, expires_at, created_at, updated_at)
       VALUES (?1, 'Seed', 100, ?2, 'HMAC-SHA256', 'h', ?3, ?3, ?3)`,
    )
      .bind(no, status, created)
      .run();
    nos.push(no);
  }
  return nos;
}

describe('GET /v1/orders', () => {
  it('pages newest first by cursor with no duplicates or gaps', async () => {
    const nos = await seed('LISTA', 7, '2020-01-01T00:00:00.000Z');
    const window = 'created_from=2020-01-01T00:00:00Z&created_to=2020-01-02T00:00:00Z';
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page = await list(`${window}&limit=3${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.data.length).toBeLessThanOrEqual(3);
      seen.push(...page.data.map((o) => o.out_trade_no));
      cursor = page.next_cursor;
      pages++;
    } while (cursor && pages < 10);
    expect(pages).toBe(3);
    expect(seen).toEqual([...nos].reverse());
  });

  it('filters by status and by created_from / created_to (from inclusive, to exclusive)', async () => {
    const paid = await seed('LISTB', 2, '2021-06-01T00:00:00.000Z', 'PAID');
    const open = await seed('LISTC', 2, '2021-06-01T00:00:10.000Z', 'NOTPAY');
    const window = 'created_from=2021-06-01T00:00:00Z&created_to=2021-06-01T00:01:00Z';
    expect((await list(`${window}&status=PAID`)).data.map((o) => o.out_trade_no)).toEqual([...paid].reverse());
    expect((await list(`${window}&status=NOTPAY`)).data.map((o) => o.out_trade_no)).toEqual([...open].reverse());
    expect((await list(`created_from=2021-06-01T00:00:01Z&created_to=2021-06-01T00:00:10Z`)).data.map((o) => o.out_trade_no)).toEqual([paid[1]]);
    expect((await list(`${window}&status=CLOSED`)).data).toEqual([]);
  });

  it('lists API-created orders with their checkout_url and a null cursor on the last page', async () => {
    const order = await createOrder({ out_trade_no: freshNo('LISTD') });
    const page = await list(`created_from=${encodeURIComponent(order.created_at)}&limit=100`);
    expect(page.data.find((o) => o.out_trade_no === order.out_trade_no)).toEqual(order);
    expect(page.next_cursor).toBeNull();
  });
});
