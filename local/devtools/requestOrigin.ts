import type { IncomingMessage } from "node:http";

/** A `Host` header a browser or an SDK sends: a name or an IPv4 address, or a bracketed IPv6 one, and a port. */
const HOST = /^(?:[A-Za-z0-9](?:[A-Za-z0-9.-]{0,252})|\[[0-9A-Fa-f:.]{2,45}\])(?::\d{1,5})?$/;

/**
 * The origin a request reached the gateway on: its `Host` header when it is a well-formed host, else the address and
 * port the socket is connected to (the gateway's real port). `undefined` when neither is known.
 *
 * @example
 * ```ts
 * requestOrigin(req); // "http://localhost:4000" for `curl localhost:4000/docs/users.json`
 * ```
 */
export function requestOrigin(req: Pick<IncomingMessage, "headers" | "socket">): string | undefined {
  const host = req.headers.host;
  if (host && HOST.test(host)) return `http://${host}`;
  const { localAddress, localPort } = req.socket;
  if (!localAddress || !localPort) return undefined;
  const address = localAddress.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/, "");
  return `http://${address.includes(":") ? `[${address}]` : address}:${localPort}`;
}
