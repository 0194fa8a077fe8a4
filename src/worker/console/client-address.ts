// Which address bucket a login attempt counts in: an IPv4 address, or the /64 of an IPv6 address (one
// ordinary customer allocation; counting per full address would give an attacker 2^64 budgets).
// Pure: the header's text in, a normalised bucket key or null out.

function ipv4(text: string): number[] | null {
  const parts = text.split('.');
  if (parts.length !== 4) return null;
  const octets = parts.map((p) => (/^(0|[1-9]\d{0,2})$/.test(p) ? Number(p) : Number.NaN));
  return octets.every((o) => o <= 255) ? octets : null;
}

/** The eight 16-bit groups of an IPv6 literal (with `::` and an embedded IPv4 tail), or null. */
function ipv6Groups(text: string): number[] | null {
  if (text.length > 45 || !/^[0-9a-fA-F:.]+$/.test(text)) return null;
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const groupsOf = (part: string): number[] | null => {
    if (part === '') return [];
    const out: number[] = [];
    const pieces = part.split(':');
    for (let i = 0; i < pieces.length; i++) {
      const p = pieces[i]!;
      if (i === pieces.length - 1 && p.includes('.')) {
        const v4 = ipv4(p);
        if (!v4) return null;
        out.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
      } else if (/^[0-9a-fA-F]{1,4}$/.test(p)) out.push(Number.parseInt(p, 16));
      else return null;
    }
    return out;
  };
  const head = groupsOf(halves[0]!);
  const tail = halves.length === 2 ? groupsOf(halves[1]!) : [];
  if (!head || !tail) return null;
  if (halves.length === 1) return head.length === 8 ? head : null;
  const missing = 8 - head.length - tail.length;
  return missing >= 1 ? [...head, ...new Array<number>(missing).fill(0), ...tail] : null;
}

/** `ip4:<address>` or `ip6:<first four groups>::/64`; null for a missing or malformed address. */
export function addressBucketKey(header: string | null | undefined): string | null {
  if (!header) return null;
  const text = header.trim();
  const v4 = ipv4(text);
  if (v4) return `ip4:${v4.join('.')}`;
  const g = ipv6Groups(text);
  if (!g) return null;
  // An IPv4-mapped address (::ffff:a.b.c.d) is that IPv4 address.
  if (g.slice(0, 5).every((x) => x === 0) && g[5] === 0xffff) return `ip4:${g[6]! >> 8}.${g[6]! & 255}.${g[7]! >> 8}.${g[7]! & 255}`;
  return `ip6:${g
    .slice(0, 4)
    .map((x) => x.toString(16))
    .join(':')}::/64`;
}
