import { mkdirSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { PassThrough } from "node:stream";
import {
  GetRecordsCommand,
  GetShardIteratorCommand,
  type GetShardIteratorCommandInput,
  KinesisClient,
} from "@aws-sdk/client-kinesis";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import kinesalite from "kinesalite";
import { closeHttpServer, listenOnLoopback, readBody } from "./httpServer.js";
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
  const endpoint = `http://${LOOPBACK}:${port}`;
  const self = new KinesisClient({
    endpoint,
    region: "us-east-1",
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
    requestHandler: new NodeHttpHandler(),
  });
  serveAtTimestamp(server, self);
  return {
    endpoint,
    port,
    stop: async () => {
      self.destroy();
      await closeHttpServer(server);
    },
  };
}

const GET_SHARD_ITERATOR = "Kinesis_20131202.GetShardIterator";

/**
 * kinesalite's `AT_TIMESTAMP` iterator never answers when no record of the shard arrived at or after the timestamp
 * (it waits for a first match that never comes). Kinesis answers with an iterator there, which reads the records put
 * from then on ("GetShardIterator": AT_TIMESTAMP). This answers every `AT_TIMESTAMP` request itself, on the
 * emulator's own API: the first record at or after the timestamp (read from TRIM_HORIZON) gives an
 * `AT_SEQUENCE_NUMBER` iterator, and no such record a `LATEST` one. Every other request goes to kinesalite unchanged.
 */
function serveAtTimestamp(server: ReturnType<typeof kinesalite>, self: KinesisClient): void {
  const [kinesaliteHandler] = server.listeners("request") as ((req: IncomingMessage, res: ServerResponse) => void)[];
  if (!kinesaliteHandler) throw new Error("kinesalite serves no requests");
  server.removeAllListeners("request");
  server.on("request", (req: IncomingMessage, res: ServerResponse) => {
    if (req.headers["x-amz-target"] !== GET_SHARD_ITERATOR) return kinesaliteHandler(req, res);
    void readBody(req).then(async (body) => {
      let input: GetShardIteratorCommandInput | undefined;
      try {
        input = JSON.parse(body.toString("utf8")) as GetShardIteratorCommandInput;
      } catch {
        input = undefined;
      }
      if (
        input?.ShardIteratorType !== "AT_TIMESTAMP" ||
        input.Timestamp === undefined ||
        Date.now() < Number(input.Timestamp) * 1000
      ) {
        // As it came: kinesalite reads the body again from a copy of the request (it validates and refuses itself).
        const copy = Object.assign(new PassThrough(), { headers: req.headers, method: req.method, url: req.url });
        copy.end(body);
        return kinesaliteHandler(copy as unknown as IncomingMessage, res);
      }
      const iterator = await atTimestamp(self, input.StreamName!, input.ShardId!, Number(input.Timestamp) * 1000).catch(
        (error: { name?: string; message?: string }) => ({ error }),
      );
      const ok = typeof iterator === "string";
      const payload = ok
        ? { ShardIterator: iterator }
        : { __type: iterator.error.name ?? "InternalFailure", message: iterator.error.message ?? "" };
      const text = JSON.stringify(payload);
      res.writeHead(ok ? 200 : 400, {
        "content-type": "application/x-amz-json-1.1",
        "content-length": Buffer.byteLength(text),
      });
      res.end(text);
    });
  });
}

async function atTimestamp(self: KinesisClient, StreamName: string, ShardId: string, at: number): Promise<string> {
  const start = await self.send(
    new GetShardIteratorCommand({ StreamName, ShardId, ShardIteratorType: "TRIM_HORIZON" }),
  );
  let iterator = start.ShardIterator;
  while (iterator) {
    const out = await self.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 10_000 }));
    const first = (out.Records ?? []).find((r) => (r.ApproximateArrivalTimestamp?.getTime() ?? 0) >= at);
    if (first) {
      const found = await self.send(
        new GetShardIteratorCommand({
          StreamName,
          ShardId,
          ShardIteratorType: "AT_SEQUENCE_NUMBER",
          StartingSequenceNumber: first.SequenceNumber!,
        }),
      );
      return found.ShardIterator!;
    }
    if ((out.Records ?? []).length === 0) break;
    iterator = out.NextShardIterator;
  }
  const latest = await self.send(new GetShardIteratorCommand({ StreamName, ShardId, ShardIteratorType: "LATEST" }));
  return latest.ShardIterator!;
}
