import { isIPv4, isIPv6 } from "node:net";

/** An address as an unsigned integer plus its width in bits (32 for IPv4, 128 for IPv6). */
interface IpAddress {
  value: bigint;
  width: 32 | 128;
}

/** Parses a textual IPv4 or IPv6 address (including `::` shortening and an embedded IPv4 tail). */
function parseIp(text: string): IpAddress | undefined {
  if (isIPv4(text)) {
    const value = text.split(".").reduce((acc, octet) => (acc << 8n) + BigInt(octet), 0n);
    return { value, width: 32 };
  }
  if (!isIPv6(text)) return undefined;
  let groups = text;
  const v4Tail = /(\d+\.\d+\.\d+\.\d+)$/.exec(groups)?.[1];
  if (v4Tail !== undefined) {
    const v4 = parseIp(v4Tail)!.value;
    groups = `${groups.slice(0, -v4Tail.length)}${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
  }
  const [head = "", tail] = groups.split("::");
  const headParts = head === "" ? [] : head.split(":");
  const tailParts = tail === undefined || tail === "" ? [] : tail.split(":");
  const zeros = Array<string>(8 - headParts.length - tailParts.length).fill("0");
  const value = [...headParts, ...zeros, ...tailParts].reduce((acc, group) => (acc << 16n) + BigInt(`0x${group}`), 0n);
  return { value, width: 128 };
}

/** A parsed CIDR block, or undefined when the text is not one (used by pattern validation). */
export function parseCidr(cidr: string): { network: IpAddress; prefixLength: number } | undefined {
  const [address, length, extra] = cidr.split("/");
  if (address === undefined || extra !== undefined) return undefined;
  const network = parseIp(address);
  if (network === undefined) return undefined;
  // A bare address is a block of one.
  const prefixLength = length === undefined ? network.width : Number(length);
  if (!/^\d+$/.test(length ?? "0") || prefixLength > network.width) return undefined;
  return { network, prefixLength };
}

/**
 * Whether an IP address lies inside a CIDR block; EventBridge's `cidr` filter accepts IPv4 and IPv6 blocks, and an
 * address of the other family never matches.
 *
 * @example
 * ```ts
 * ipInCidr("10.0.0.17", "10.0.0.0/24"); // true
 * ipInCidr("2001:db8::1", "2001:db8::/64"); // true
 * ```
 */
export function ipInCidr(ip: string, cidr: string): boolean {
  const block = parseCidr(cidr);
  const address = parseIp(ip);
  if (block === undefined || address === undefined || address.width !== block.network.width) return false;
  const hostBits = BigInt(address.width - block.prefixLength);
  return address.value >> hostBits === block.network.value >> hostBits;
}
