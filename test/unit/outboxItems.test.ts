import { describe, expect, it } from "vitest";
import { matchesPattern } from "../../local/eventbridge/matchPattern.js";
import { runWithInvocation } from "../../shared/context/index.js";
import { OUTBOX_RETENTION_SECONDS, outboxEvent, outboxItems } from "../../shared/outbox/index.js";
import { PublishError, PublishValidationError } from "../../shared/publish/index.js";
import { outboxFilter } from "../../shared/topology/index.js";
import { NoteBroadcast, NoteQueued, NoteStreamed, notePayload, traceHeader } from "../support/transportContracts.js";

const table = { partitionKey: "pk", sortKey: "sk", ttl: "expiresAt" } as const;
const nowMs = Date.parse("2026-12-01T12:00:00.000Z");

describe("outboxItems", () => {
  it("holds the finished envelope: id, type, version, payload, correlation id and the request's trace header", () => {
    const previous = process.env._X_AMZN_TRACE_ID;
    process.env._X_AMZN_TRACE_ID = traceHeader;
    try {
      const { items, eventIds } = runWithInvocation({ correlationId: "corr-9" }, () =>
        outboxItems(table, [outboxEvent(NoteBroadcast, notePayload({ noteId: "n1" }))], { nowMs }),
      );
      expect(items).toHaveLength(1);
      const [item] = items;
      const envelope = JSON.parse(item!.envelope) as Record<string, unknown>;
      expect(envelope).toMatchObject({
        id: eventIds[0],
        type: "lab.NoteBroadcast",
        version: 1,
        producer: "lab",
        correlationId: "corr-9",
        traceHeader,
        data: notePayload({ noteId: "n1" }),
      });
      expect(item).toMatchObject({ eventId: eventIds[0], eventType: "lab.NoteBroadcast" });
      expect(item!.sk).toBe(`${envelope.time}#${eventIds[0]}`);
      expect(item!.expiresAt).toBe(nowMs / 1000 + OUTBOX_RETENTION_SECONDS);
    } finally {
      if (previous === undefined) delete process.env._X_AMZN_TRACE_ID;
      else process.env._X_AMZN_TRACE_ID = previous;
    }
  });

  it("keys events by their order key: the contract's partition key, the writer's, else the event's own id", () => {
    const { items, eventIds } = outboxItems(table, [
      outboxEvent(NoteStreamed, notePayload({ noteId: "thread-7" })),
      outboxEvent(NoteQueued, notePayload(), { orderKey: "user-1" }),
      outboxEvent(NoteBroadcast, notePayload()),
    ]);
    expect(items.map((i) => i.pk)).toEqual(["OUTBOX#thread-7", "OUTBOX#user-1", `OUTBOX#${eventIds[2]}`]);
    // Every item is an insert the publisher's stream filter passes.
    for (const item of items)
      expect(
        matchesPattern(outboxFilter(table), { eventName: "INSERT", dynamodb: { Keys: { pk: { S: item.pk } } } }),
      ).toBe(true);
  });

  it("uses the table's own key and TTL names", () => {
    const { items } = outboxItems({ partitionKey: "id", sortKey: "at", ttl: "gone" }, [
      outboxEvent(NoteQueued, notePayload(), { orderKey: "k" }),
    ]);
    expect(Object.keys(items[0]!).sort()).toEqual(["at", "envelope", "eventId", "eventType", "gone", "id"]);
  });

  it("refuses a table that cannot hold an outbox, an invalid payload and an event too large for its transport", () => {
    expect(() => outboxItems({ partitionKey: "pk", ttl: "expiresAt" }, [])).toThrow("needs a sort key");
    expect(() => outboxItems({ partitionKey: "pk", sortKey: "sk" }, [])).toThrow("needs a TTL attribute");
    const invalid = { contract: NoteQueued, payload: { noteId: "" } };
    expect(() => outboxItems(table, [invalid])).toThrow(PublishValidationError);
    const big = outboxEvent(NoteQueued, notePayload({ text: "x".repeat(262_144) }));
    expect(() => outboxItems(table, [big])).toThrow(PublishError);
    // Kinesis takes a record of up to 1 MiB: the same event fits there.
    expect(
      outboxItems(table, [outboxEvent(NoteStreamed, notePayload({ text: "x".repeat(262_144) }))]).items,
    ).toHaveLength(1);
  });
});
