import { isIP } from 'node:net';
import { and, eq } from 'drizzle-orm';
import type { Clock } from '../../platform/clock.ts';
import type { Executor } from '../../platform/db/index.ts';
import { blindIndex, type Keyring } from '../vault/service.ts';
import { copyNetworks } from './schema.ts';

// Where a copy of someone's data was asked for and fetched from, as networks, never addresses: an IPv4 /24 or an
// IPv6 /48 (a household's or an office's line, not a device), kept only as a keyed hash. A download from a network
// the request was never seen from is what the new-network rule reports.

type NetworkContext = { clock: Clock; keys: Keyring };

/** Eight 16-bit groups of an IPv6 address, `::` expanded and a trailing IPv4 part turned into two groups. */
function ipv6Groups(address: string): number[] {
  const halves = address.split('::');
  const parts = (text: string | undefined) => (text ? text.split(':') : []);
  const [head, tail] = [parts(halves[0]), parts(halves[1])];
  const last = halves.length === 2 ? tail : head;
  const v4 = last.at(-1)?.includes('.') ? last.pop()!.split('.').map(Number) : undefined;
  if (v4) last.push(((v4[0]! << 8) | v4[1]!).toString(16), ((v4[2]! << 8) | v4[3]!).toString(16));
  const groups = halves.length === 2 ? [...head, ...Array<string>(8 - head.length - tail.length).fill('0'), ...tail] : head;
  return groups.map((g) => parseInt(g, 16));
}

/** The network of an address, as text (`203.0.113.0/24`, `2001:db8:12::/48`); undefined for anything else. */
export function networkOf(address: string | undefined): string | undefined {
  const bare = address?.trim().replace(/%.*$/, '') ?? '';
  const version = isIP(bare);
  if (version === 4) return `${bare.split('.').slice(0, 3).join('.')}.0/24`;
  if (version !== 6) return undefined;
  const groups = ipv6Groups(bare.toLowerCase());
  // An IPv4 address written as IPv6 (::ffff:203.0.113.7) is the IPv4 network.
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    return `${groups[6]! >> 8}.${groups[6]! & 0xff}.${groups[7]! >> 8}.0/24`;
  }
  return `${groups.slice(0, 3).map((g) => g.toString(16)).join(':')}::/48`;
}

const networkHash = (ctx: NetworkContext, network: string) => blindIndex(ctx.keys, 'network', network);

/** Notes that a copy was asked for, or its request verified, from `address`'s network; nothing for no address. */
export async function noteCopyNetwork(ctx: NetworkContext, db: Executor, requestId: string, event: 'asked' | 'verified', address: string | undefined): Promise<void> {
  const network = networkOf(address);
  if (!network) return;
  await db.insert(copyNetworks).values({ requestId, event, networkHash: networkHash(ctx, network), at: ctx.clock.now() });
}

/** Notes a download of the request's copy, and whether the request had been seen from that network before. */
export async function noteCopyDownload(ctx: NetworkContext, db: Executor, requestId: string, address: string | undefined): Promise<void> {
  const network = networkOf(address);
  if (!network) return;
  const hash = networkHash(ctx, network);
  const [seen] = await db.select({ id: copyNetworks.id }).from(copyNetworks).where(and(eq(copyNetworks.requestId, requestId), eq(copyNetworks.networkHash, hash))).limit(1);
  await db.insert(copyNetworks).values({ requestId, event: 'downloaded', networkHash: hash, at: ctx.clock.now(), known: seen !== undefined });
}
