import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

/** Delivers an event to a Lambda function; a rejection counts as a failed invocation (retried, then dead-lettered). */
export type LambdaInvoker = (functionArn: string, event: unknown) => Promise<void>;

export interface EventBridgeOptions {
  /** Interface to bind; default 127.0.0.1. */
  host?: string;
  /** Port to listen on; 0 (default) picks a free port. */
  port?: number;
  /** Region used in ARNs and events; default us-east-1. */
  region?: string;
  /** Account used in ARNs and events; default 000000000000. */
  accountId?: string;
  /** Endpoint of the SQS service SQS targets and dead-letter queues live on. */
  sqsEndpoint?: string;
  /** Endpoint of the SNS service SNS targets live on. */
  snsEndpoint?: string;
  /** How Lambda targets are invoked. */
  invokeLambda?: LambdaInvoker;
  /** Base delay of the retry backoff; tests shrink it. */
  retryBaseDelayMs?: number;
}

export interface EventBridgeStandIn {
  readonly endpoint: string;
  readonly port: number;
  setLambdaInvoker(fn: LambdaInvoker): void;
  /** resolves when every in-flight delivery settled */
  idle(): Promise<void>;
  stop(): Promise<void>;
}

export async function startEventBridge(options: EventBridgeOptions = {}): Promise<EventBridgeStandIn> {
  const server = createServer((_req, res) => {
    res.writeHead(501).end();
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, options.host ?? "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    endpoint: `http://${options.host ?? "127.0.0.1"}:${port}`,
    port,
    setLambdaInvoker: () => {},
    idle: async () => {},
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
