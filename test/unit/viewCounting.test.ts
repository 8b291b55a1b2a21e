import type { SQSClient } from "@aws-sdk/client-sqs";
import type { KinesisStreamBatchResponse } from "aws-lambda";
import { describe, expect, it, vi } from "vitest";
import { ProductViewed } from "../../events/products.js";
import { kinesisEvent } from "../../local/lambdaEvents.js";
import {
  fingerprint,
  PRODUCTS_PER_CHUNK,
  planChunks,
  RECENT_IDS,
  sequenceKey,
  type View,
} from "../../services/products/store/popularity.js";
import { onKinesisBatch, type StreamBatch } from "../../shared/consume/index.js";
import { logger } from "../../shared/logging/index.js";
import { lambdaContext } from "../support/apiEvents.js";

/** Views of one shard, in its order: sequence numbers far apart and of growing width, as Kinesis gives them. */
function views(products: readonly string[], start = 49_000_000_000n): View[] {
  return products.map((productId, i) => {
    const sequenceNumber = String(start + BigInt(i) * 7n);
    return { sequenceNumber, eventId: `event-${sequenceNumber}`, productId };
  });
}

const total = (chunks: ReturnType<typeof planChunks>) =>
  chunks.reduce((sum, chunk) => sum + [...chunk.counts.values()].reduce((a, b) => a + b, 0), 0);

describe("sequenceKey", () => {
  it("orders sequence numbers of different widths as numbers", () => {
    const numbers = ["9", "10", "49590338271490256608559692538361571095921575989136588898", "100"];
    const sorted = [...numbers].sort((a, b) => (sequenceKey(a) < sequenceKey(b) ? -1 : 1));
    expect(sorted).toEqual(["9", "10", "100", numbers[2]]);
    expect(sequenceKey("1")).toHaveLength(129);
  });
});

describe("fingerprint", () => {
  it("is 12 URL-safe characters, the same for one id and different for others", () => {
    expect(fingerprint("a")).toMatch(/^[A-Za-z0-9_-]{12}$/);
    expect(fingerprint("a")).toBe(fingerprint("a"));
    expect(new Set(Array.from({ length: 10_000 }, (_, i) => fingerprint(`event-${i}`))).size).toBe(10_000);
  });
});

describe("planChunks", () => {
  it("aggregates a batch into one count per product", () => {
    const [chunk, ...rest] = planChunks(views(["a", "b", "a", "a", "c", "b"]), { recent: [] });
    expect(rest).toEqual([]);
    expect(Object.fromEntries(chunk!.counts)).toEqual({ a: 3, b: 2, c: 1 });
    expect(chunk!.duplicates).toBe(0);
  });

  it("splits in shard order so that no chunk holds more products than one transaction takes", () => {
    // p0…p109, then p0…p9 again: those come after two full chunks, so the third counts them afresh.
    const products = Array.from({ length: 120 }, (_, i) => `p${i % 110}`);
    const batch = views(products);
    const chunks = planChunks(batch, { recent: [] });
    expect(chunks.map((chunk) => chunk.counts.size)).toEqual([PRODUCTS_PER_CHUNK, PRODUCTS_PER_CHUNK, 22]);
    expect(total(chunks)).toBe(120);
    // Consecutive, with no gap and no overlap: each starts right after the one before.
    expect(chunks[0]!.first).toBe(batch[0]!.sequenceNumber);
    for (const [i, chunk] of chunks.entries()) {
      const firstIndex = batch.findIndex((view) => view.sequenceNumber === chunk.first);
      if (i > 0) expect(batch[firstIndex - 1]!.sequenceNumber).toBe(chunks[i - 1]!.last);
    }
    expect(chunks.at(-1)!.last).toBe(batch.at(-1)!.sequenceNumber);
    // 2 × 49 + 1 = 99 items: the 100-item transaction limit holds.
    expect(2 * PRODUCTS_PER_CHUNK + 1).toBeLessThanOrEqual(100);
  });

  it("keeps adding a product a chunk already holds after it is full", () => {
    const products = [...Array.from({ length: 3 }, (_, i) => `p${i}`), "p0", "p1", "p9", "p2"];
    const chunks = planChunks(views(products), { recent: [] }, 3);
    expect(chunks.map((chunk) => Object.fromEntries(chunk.counts))).toEqual([
      { p0: 2, p1: 2, p2: 1 },
      { p9: 1, p2: 1 },
    ]);
  });

  it("leaves out every record at or behind the checkpoint", () => {
    const batch = views(["a", "b", "c", "d"]);
    const [chunk, ...rest] = planChunks(batch, { sequence: sequenceKey(batch[1]!.sequenceNumber), recent: [] });
    expect(rest).toEqual([]);
    expect(Object.fromEntries(chunk!.counts)).toEqual({ c: 1, d: 1 });
    expect(chunk!.first).toBe(batch[2]!.sequenceNumber);
    expect(planChunks(batch, { sequence: sequenceKey(batch[3]!.sequenceNumber), recent: [] })).toEqual([]);
  });

  it("drops an event id seen again in the batch, and one the checkpoint counted", () => {
    const batch = views(["a", "b", "a"]);
    const again = { ...batch[2]!, eventId: batch[0]!.eventId }; // a producer's retried put: a new record, the same event
    const [chunk] = planChunks([batch[0]!, batch[1]!, again], { recent: [] });
    expect(Object.fromEntries(chunk!.counts)).toEqual({ a: 1, b: 1 });
    expect(chunk!.duplicates).toBe(1);
    expect(chunk!.last).toBe(again.sequenceNumber); // consumed: the checkpoint moves past it

    const later = views(["b"], 99_000_000_000n).map((view) => ({ ...view, eventId: batch[1]!.eventId }));
    const [next] = planChunks(later, { sequence: sequenceKey(again.sequenceNumber), recent: chunk!.recent });
    expect(next!.counts.size).toBe(0);
    expect(next!.duplicates).toBe(1);
  });

  it("keeps the last RECENT_IDS counted events, oldest first, across chunks", () => {
    const batch = views(Array.from({ length: RECENT_IDS + 200 }, (_, i) => `p${i % 100}`));
    const chunks = planChunks(batch, { recent: [] }, 60);
    const last = chunks.at(-1)!;
    expect(last.recent).toHaveLength(RECENT_IDS);
    expect(last.recent[0]).toBe(fingerprint(batch[200]!.eventId));
    expect(last.recent.at(-1)).toBe(fingerprint(batch.at(-1)!.eventId));
    // A chunk's window is the one the checkpoint holds once that chunk is counted.
    expect(chunks[0]!.recent).toEqual(batch.slice(0, 60).map((view) => fingerprint(view.eventId)));
  });

  it("counts the same whatever the batching: whole, halves, overlapping, redelivered", () => {
    const products = Array.from({ length: 300 }, (_, i) => `p${(i * 7) % 90}`);
    const batch = views(products);
    // Some events appear twice: a copy right after, and one 150 records later.
    const withCopies = batch.flatMap((view, i) => {
      if (i % 50 === 3) return [view, { ...view, sequenceNumber: String(BigInt(view.sequenceNumber) + 1n) }];
      return [view];
    });
    withCopies.splice(200, 0, {
      ...withCopies[40]!,
      sequenceNumber: String(BigInt(withCopies[199]!.sequenceNumber) + 1n),
    });

    /** Runs deliveries against a checkpoint as the counter would: each chunk counted moves it. */
    const run = (deliveries: readonly (readonly View[])[]) => {
      let checkpoint: { sequence?: string; recent: readonly string[] } = { recent: [] };
      const counts = new Map<string, number>();
      for (const delivery of deliveries) {
        for (const chunk of planChunks(delivery, checkpoint)) {
          for (const [id, n] of chunk.counts) counts.set(id, (counts.get(id) ?? 0) + n);
          checkpoint = { sequence: sequenceKey(chunk.last), recent: chunk.recent };
        }
      }
      return Object.fromEntries([...counts].sort());
    };
    const once = run([withCopies]);
    expect(Object.values(once).reduce((a, b) => a + b, 0)).toBe(300);
    const half = Math.floor(withCopies.length / 2);
    expect(run([withCopies, withCopies])).toEqual(once);
    expect(run([withCopies.slice(0, half), withCopies])).toEqual(once);
    expect(run([withCopies.slice(0, 120), withCopies.slice(100, 250), withCopies.slice(180)])).toEqual(once);
    expect(run(withCopies.map((view) => [view]))).toEqual(once);
  });
});

describe("onKinesisBatch", () => {
  vi.spyOn(logger, "info").mockImplementation(() => {});
  vi.spyOn(logger, "warn").mockImplementation(() => {});
  vi.spyOn(logger, "error").mockImplementation(() => {});
  const streamArn = "arn:aws:kinesis:eu-west-1:123456789012:stream/views";
  const viewed = (productId: string) =>
    JSON.stringify({
      id: `event-${productId}`,
      type: ProductViewed.type,
      version: 1,
      time: "2026-01-01T00:00:00.000Z",
      producer: "products",
      correlationId: "c-1",
      data: { productId, viewerId: null, viewedAt: "2026-01-01T00:00:00.000Z" },
    });
  const event = (bodies: readonly string[]) =>
    kinesisEvent(
      bodies.map((body, i) => ({ SequenceNumber: `4954${i}`, PartitionKey: "k", Data: Buffer.from(body) })),
      streamArn,
      "shardId-000000000003",
    );
  const sent: string[] = [];
  const sqs = (refuse = false) =>
    ({
      send: async (command: { input: { MessageBody: string } }) => {
        if (refuse) throw new Error("queue gone");
        sent.push(command.input.MessageBody);
        return {};
      },
    }) as unknown as SQSClient;
  const options = (refuse = false) => ({
    failureQueueUrl: "http://queue.test/failures",
    clients: { sqs: sqs(refuse) },
  });
  const run = async (consume: ReturnType<typeof onKinesisBatch>, bodies: readonly string[]) =>
    ((await consume(event(bodies), lambdaContext())) as KinesisStreamBatchResponse).batchItemFailures.map(
      (failure) => failure.itemIdentifier,
    );

  it("hands the valid records to the handler at once, in order, with the shard; poison goes to the failure queue", async () => {
    const batches: StreamBatch<typeof ProductViewed>[] = [];
    const consume = onKinesisBatch(ProductViewed, (batch) => void batches.push(batch), options());
    sent.length = 0;
    expect(await run(consume, [viewed("a"), "not json", viewed("b")])).toEqual([]);
    expect(batches).toHaveLength(1);
    expect(batches[0]!.shardId).toBe("shardId-000000000003");
    expect(batches[0]!.streamArn).toBe(streamArn);
    expect(batches[0]!.records.map((r) => [r.sequenceNumber, r.payload.productId, r.envelope.id])).toEqual([
      ["49540", "a", "event-a"],
      ["49542", "b", "event-b"],
    ]);
    expect(sent).toEqual(["not json"]);
  });

  it("reports from the handler's retryFrom, from the first record when it throws", async () => {
    const from = onKinesisBatch(ProductViewed, () => ({ retryFrom: "49541" }), options());
    expect(await run(from, [viewed("a"), viewed("b"), viewed("c")])).toEqual(["49541", "49542"]);
    const throwing = onKinesisBatch(
      ProductViewed,
      () => {
        throw new Error("table down");
      },
      options(),
    );
    expect(await run(throwing, [viewed("a"), viewed("b")])).toEqual(["49540", "49541"]);
  });

  it("stops at a poison record the failure queue refuses: the handler gets the records before it", async () => {
    const handled: string[] = [];
    const consume = onKinesisBatch(
      ProductViewed,
      ({ records }) => void handled.push(...records.map((r) => r.payload.productId)),
      options(true),
    );
    expect(await run(consume, [viewed("a"), "bad", viewed("c")])).toEqual(["49541", "49542"]);
    expect(handled).toEqual(["a"]);
  });
});
