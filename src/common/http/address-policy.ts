import { lookup, LookupAddress } from 'node:dns';
import { BlockList, isIP } from 'node:net';

/** Ranges never dialled by outbound client-webhook requests (WEBHOOKS.md § SSRF, OWASP). */
const BLOCKED_V4 = [
  '0.0.0.0/8',
  '10.0.0.0/8',
  '100.64.0.0/10',
  '127.0.0.0/8',
  '169.254.0.0/16',
  '172.16.0.0/12',
  '192.0.0.0/24',
  '192.168.0.0/16',
  '198.18.0.0/15',
  '224.0.0.0/4',
  '240.0.0.0/4',
  '255.255.255.255/32',
];
const BLOCKED_V6 = ['::/128', '::1/128', 'fc00::/7', 'fe80::/10', 'ff00::/8'];

function toBlockList(cidrs: string[]): BlockList {
  const list = new BlockList();
  for (const cidr of cidrs) {
    const [net, bits] = cidr.split('/');
    const family = isIP(net) === 6 ? 'ipv6' : 'ipv4';
    list.addSubnet(net, Number(bits ?? (family === 'ipv6' ? 128 : 32)), family);
  }
  return list;
}

/** Embedded IPv4 of IPv4-mapped (::ffff:a.b.c.d), NAT64 (64:ff9b::/96) and 6to4 (2002::/16) forms. */
function embeddedV4(address: string): string | undefined {
  const lower = address.toLowerCase();
  const mapped = /^(?:::ffff:|64:ff9b::)(\d+\.\d+\.\d+\.\d+)$/.exec(lower);
  if (mapped) return mapped[1];
  const hexMapped = /^(?:::ffff:|64:ff9b::)([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(lower);
  const sixToFour = /^2002:([0-9a-f]{1,4}):([0-9a-f]{1,4}):/.exec(lower);
  const m = hexMapped ?? sixToFour;
  if (!m) return undefined;
  const hi = parseInt(m[1], 16);
  const lo = parseInt(m[2], 16);
  return [hi >> 8, hi & 255, lo >> 8, lo & 255].join('.');
}

/**
 * Decides whether an address may be dialled: public addresses yes, the blocked ranges no,
 * unless they fall in an explicitly allowed network (WEBHOOK_ALLOWED_NETWORKS, e.g. 127.0.0.0/8
 * for local development and tests).
 */
export class AddressPolicy {
  private readonly blocked = { v4: toBlockList(BLOCKED_V4), v6: toBlockList(BLOCKED_V6) };
  private readonly allowed: BlockList;

  constructor(allowedNetworks: string[] = []) {
    this.allowed = toBlockList(allowedNetworks);
  }

  isAllowed(address: string): boolean {
    const family = isIP(address);
    if (family === 0) return false;
    const v4 = family === 4 ? address : embeddedV4(address);
    if (v4) {
      if (this.allowed.check(v4, 'ipv4')) return true;
      return !this.blocked.v4.check(v4, 'ipv4');
    }
    if (this.allowed.check(address, 'ipv6')) return true;
    return !this.blocked.v6.check(address, 'ipv6');
  }
}

/**
 * Save-time check of a URL our process will fetch later: http(s) only, and no address the policy
 * refuses (a literal IP, and every address the hostname resolves to now). Used when a webhook URL
 * is saved. A later DNS change is not covered here: fetches go through createGuardedAgent
 * (guarded-agent.ts), which checks the address actually dialled.
 * @returns why the URL is refused, or null when it is acceptable (or its name does not resolve yet).
 */
export async function urlRefusal(url: string, policy: AddressPolicy): Promise<string | null> {
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    return 'is not a valid URL';
  }
  if (target.protocol !== 'http:' && target.protocol !== 'https:')
    return `protocol ${target.protocol} is not allowed`;
  const host = target.hostname.replace(/^\[|\]$/g, '');
  const addresses = isIP(host) ? [host] : await dnsLookupAll(host).catch(() => [] as string[]);
  const bad = addresses.find((a) => !policy.isAllowed(a));
  return bad
    ? `points at a blocked address (${bad}); private, loopback and link-local networks are refused`
    : null;
}

function dnsLookupAll(host: string): Promise<string[]> {
  return new Promise((resolve, reject) =>
    lookup(host, { all: true }, (err, addresses: LookupAddress[]) =>
      err ? reject(err) : resolve(addresses.map((a) => a.address)),
    ),
  );
}
