import { createSocket, type Socket } from "node:dgram";
import { logger } from "../logging/index.js";

/** The line that opens every datagram the X-Ray daemon reads, before the document. */
export const DAEMON_HEADER = '{"format":"json","version":1}\n';

/** The largest document the daemon takes in one UDP datagram (X-Ray's segment document limit is 64 KB). */
export const MAX_DATAGRAM_BYTES = 64 * 1024;

export interface DaemonAddress {
  readonly host: string;
  readonly port: number;
}

const DEFAULT_ADDRESS: DaemonAddress = { host: "127.0.0.1", port: 2000 };
const HOST_PORT = /^([^\s:]+):(\d{1,5})$/;

/**
 * Where segments go: `AWS_XRAY_DAEMON_ADDRESS`, which Lambda sets to the daemon beside the function. It is
 * `host:port`, or the daemon's two addresses `tcp:host:port udp:host:port` in either order (segments use the UDP
 * one). Unset or unreadable, the daemon's default `127.0.0.1:2000`.
 *
 * @example
 * ```ts
 * daemonAddress("tcp:169.254.79.129:2000 udp:169.254.79.129:2000"); // { host: "169.254.79.129", port: 2000 }
 * ```
 */
export function daemonAddress(value: string | undefined): DaemonAddress {
  const text = value?.trim();
  if (!text) return DEFAULT_ADDRESS;
  const parts = text.split(/\s+/);
  const udp = parts.length === 1 ? parts[0] : parts.find((p) => p.startsWith("udp:"))?.slice("udp:".length);
  const match = udp ? HOST_PORT.exec(udp) : null;
  const port = Number(match?.[2]);
  if (!match || port < 1 || port > 65535) return DEFAULT_ADDRESS;
  return { host: match[1]!, port };
}

/** A document as the daemon reads it: the header line, then the JSON (a bigint written as its digits). */
export function datagramOf(document: unknown): Buffer {
  return Buffer.from(
    DAEMON_HEADER + JSON.stringify(document, (_, value) => (typeof value === "bigint" ? value.toString() : value)),
  );
}

let queue: Buffer[] = [];
let draining = false;

/**
 * Sends queued datagrams over one socket opened for the batch and closed after it, as the X-Ray SDK does inside
 * Lambda: a socket kept open across invocations can be broken by the freeze between them.
 */
function drain(): void {
  draining = true;
  const batch = queue;
  queue = [];
  const { host, port } = daemonAddress(process.env.AWS_XRAY_DAEMON_ADDRESS);
  let socket: Socket;
  try {
    socket = createSocket("udp4");
  } catch (error) {
    draining = false;
    report(`no socket to the X-Ray daemon: ${String(error)}`);
    return;
  }
  socket.on("error", (error) => report(`the X-Ray daemon socket failed: ${error.message}`));
  socket.unref();
  const next = (index: number): void => {
    const message = batch[index];
    if (!message) {
      socket.close();
      draining = false;
      if (queue.length > 0) drain();
      return;
    }
    socket.send(message, port, host, (error) => {
      if (error) report(`a segment did not reach the X-Ray daemon at ${host}:${port}: ${error.message}`);
      next(index + 1);
    });
  };
  next(0);
}

/** A problem of the trace's own, never the invocation's: a warning in the function's log, and the work goes on. */
function report(message: string): void {
  logger.warn(message);
}

/**
 * Queues one finished (sub)segment document for the daemon. A document over the datagram limit is not sent (the
 * daemon could not read it); it is reported instead, with its id, so it is never a silent loss.
 *
 * @example
 * ```ts
 * emitDocument({ type: "subsegment", id, trace_id, parent_id, name: "DynamoDB", start_time, end_time });
 * ```
 */
export function emitDocument(document: {
  readonly id?: unknown;
  readonly trace_id?: unknown;
  readonly [field: string]: unknown;
}): void {
  const message = datagramOf(document);
  if (message.length > MAX_DATAGRAM_BYTES) {
    report(
      `segment ${String(document.id)} of trace ${String(document.trace_id)} is ${message.length} bytes, over the daemon's ${MAX_DATAGRAM_BYTES}: not sent`,
    );
    return;
  }
  queue.push(message);
  if (!draining) drain();
}
