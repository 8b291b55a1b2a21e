import { mkdirSync } from "node:fs";
import kinesalite from "kinesalite";
import { closeHttpServer, listenOnLoopback } from "./httpServer.js";
import { LOOPBACK } from "./ports.js";

/** kinesalite, in-process. */
export interface KinesisEmulator {
  readonly endpoint: string;
  readonly port: number;
  stop(): Promise<void>;
}

/**
 * Starts kinesalite on a free loopback port. Stream state changes (CREATING → ACTIVE and so on) are immediate.
 * SDK clients need `requestHandler: new NodeHttpHandler()`: the default HTTP/2 handler fails against it.
 *
 * @example
 * ```ts
 * const kinesis = await startKinesis({ path: ".summit/data/kinesis" });
 * new KinesisClient({ endpoint: kinesis.endpoint, requestHandler: new NodeHttpHandler() });
 * ```
 */
export async function startKinesis(options: { path?: string } = {}): Promise<KinesisEmulator> {
  if (options.path) mkdirSync(options.path, { recursive: true });
  const server = kinesalite({
    createStreamMs: 0,
    deleteStreamMs: 0,
    updateStreamMs: 0,
    shardLimit: 100,
    ...(options.path ? { path: options.path } : {}),
  });
  const port = await listenOnLoopback(server);
  return { endpoint: `http://${LOOPBACK}:${port}`, port, stop: () => closeHttpServer(server) };
}
