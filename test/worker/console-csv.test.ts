// The 导出 CSV against spreadsheet formula injection: order descriptions that start a formula (= + - @
// Tab CR and the full-width ＝ ＋ － ＠) at the field's start or after a `,` or `;`, downloaded over HTTP
// and read back as a spreadsheet might: honouring quotes with `,` or `;` as the separator, and with a
// naive split that ignores quotes. No cell of any reading starts a formula.
import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { login } from '../support/console-helpers';
import { api, createOrder, freshNo } from '../support/orders-helpers';

let cookie: string;
beforeAll(async () => {
  cookie = await login('导出员');
});

/** A reader that honours quotes (`""` inside a quoted field is one `"`); rows end at CRLF outside quotes. */
function readQuoted(text: string, sep: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch !== '"') cell += ch;
      else if (text[i + 1] === '"') {
        cell += '"';
        i++;
      } else quoted = false;
    } else if (ch === '"') quoted = true;
    else if (ch === sep) {
      row.push(cell);
      cell = '';
    } else if (ch === '\r' && text[i + 1] === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
      i++;
    } else cell += ch;
  }
  if (cell || row.length) rows.push([...row, cell]);
  return rows;
}

/** What a careless tool does: split lines at any CR or LF and cells at every separator, quotes or not. */
const readNaive = (text: string, sep: string): string[][] => text.split(/\r\n|\r|\n/).map((l) => l.split(sep));

const FORMULA_LEAD = /^[=+\-@\t\r\uFF1D\uFF0B\uFF0D\uFF20]/;
/** A cell as a spreadsheet may see it: one enclosing pair of quotes and leading spaces gone. */
const bare = (cell: string) =>
  cell
    .replace(/^"/, '')
    .replace(/"$/, '')
    .replace(/^[ "\u3000]+/, '');

describe('CSV export against formula injection', () => {
  it("every field is quoted and a formula lead at any cell start gets a ': no cell of a , or ; reading, quoted or naive, starts a formula", async () => {
    // Through the merchant API, which takes these as descriptions...
    const viaApi: [string, string][] = [
      ['x;=1+1;', "x;'=1+1;"],
      ["＝cmd|' /C calc'!A0", "'＝cmd|' /C calc'!A0"],
      ['+SUM(A1)', "'+SUM(A1)"],
      ['@foo', "'@foo"],
      ['-2+3', "'-2+3"],
      ['a,=HYPERLINK("http://x")', `a,'=HYPERLINK("http://x")`],
      ['＋１', "'＋１"],
      ['x; =1', "x; '=1"],
      ['a;－1,＠b', "a;'－1,'＠b"],
      ['a,"=1', `a,"'=1`],
      ['plain 12.34, A-1', 'plain 12.34, A-1'],
    ];
    // ...and planted in D1, because the API refuses control characters.
    const planted: [string, string][] = [
      ['\tTAB', "'\tTAB"],
      ['a,\t=1', "a,'\t'=1"],
      ['\r=1', "'\r'=1"],
    ];
    const want = new Map<string, string>();
    for (const [description, expected] of viaApi) {
      const order = await createOrder({ description, out_trade_no: freshNo('CSV') });
      want.set(order.out_trade_no as string, expected);
    }
    for (const [description, expected] of planted) {
      const no = freshNo('CSVP');
      await env.DB.prepare(
        `INSERT INTO orders (out_trade_no, description, total_fee, status, sign_type, request_hash, expires_at, created_at, updated_at)
         VALUES (?1, ?2, 100, 'CREATED', 'MD5', 'h', 4070908800000, ?3, ?3)`, // epoch ms since 0018 (2099-01-01)
      )
        .bind(no, description, Date.now())
        .run();
      want.set(no, expected);
    }

    const today = new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 10);
    const res = await api(`/admin/orders.csv?from=${today}&to=${today}`, { headers: { Cookie: cookie } });
    expect(res.status).toBe(200);
    const bytes = new Uint8Array(await res.arrayBuffer());
    expect([...bytes.slice(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const text = new TextDecoder().decode(bytes.slice(3));

    // Every field quoted: the file is exactly the quoted serialisation of what a quote-honouring reader reads.
    const rows = readQuoted(text, ',');
    expect(rows.map((r) => `${r.map((c) => `"${c.replace(/"/g, '""')}"`).join(',')}\r\n`).join('')).toBe(text);
    expect(rows[0]).toEqual([
      '商户订单号',
      '微信支付订单号',
      '状态',
      '状态代码',
      '商品描述',
      '订单金额(元)',
      '已退款(元)',
      '付款人',
      '创建时间(北京)',
      '支付时间(北京)',
    ]);
    expect(rows.slice(1).map((r) => r.length)).toEqual(Array(want.size).fill(10));

    // The descriptions come back as sent, with only a ' before each lead.
    expect(Object.fromEntries(rows.slice(1).map((r) => [r[0], r[4]]))).toEqual(Object.fromEntries(want));

    const readings = {
      'quotes, ","': rows,
      'quotes, ";"': readQuoted(text, ';'),
      'naive, ","': readNaive(text, ','),
      'naive, ";"': readNaive(text, ';'),
    };
    for (const [reading, cells] of Object.entries(readings)) {
      expect(cells.flat().length, reading).toBeGreaterThan(want.size);
      for (const cell of cells.flat()) expect(bare(cell), `${reading}: ${JSON.stringify(cell)}`).not.toMatch(FORMULA_LEAD);
    }
  });
});
