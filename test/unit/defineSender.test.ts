import { describe, expect, it, vi } from "vitest";
import type { Envelope } from "../../shared/events/envelope.js";
import { batchFailures, positionalFailures } from "../../shared/publish/batchFailures.js";
import { defineSender, type TransportDefinition } from "../../shared/publish/defineSender.js";
import { PublishError } from "../../shared/publish/index.js";
import type { OutgoingEvent } from "../../shared/publish/outgoing.js";
import type { BatchEntry, EntryFailure } from "../../shared/publish/sendWithRetry.js";
import { NoteQueued } from "../support/transportContracts.js";

/** An outgoing event whose entry will be `size` bytes (the fake transport sizes by `payload.size`). */
const event = (id: string, size = 10): OutgoingEvent => ({
  envelope: { id, type: NoteQueued.type } as Envelope,
  body: `{"id":"${id}"}`,
  payload: { size },
});

interface FakeEntry extends BatchEntry {
  readonly to: string;
}

/** A transport that sends to `target.to`, 2 entries or 100 bytes a request, 50 bytes an entry at most. */
function fakeTransport(send: (chunk: readonly FakeEntry[]) => Promise<readonly EntryFailure<FakeEntry>[]>) {
  const definition = {
    limits: { maxCount: 2, maxBytes: 100, maxEntryBytes: 50 },
    target: vi.fn((contract: { type: string }, options: { destination?: string }) => ({
      to: `${options.destination ?? "default"}:${contract.type}`,
    })),
    entry: vi.fn(
      ({ envelope, payload }: OutgoingEvent, target: { to: string }): FakeEntry => ({
        eventId: envelope.id,
        type: envelope.type,
        size: payload.size as number,
        to: target.to,
      }),
    ),
    send: vi.fn((chunk: readonly FakeEntry[], _target: { to: string }) => send(chunk)),
  } satisfies TransportDefinition<FakeEntry, { to: string }>;
  return definition;
}

const fast = { retry: { attempts: 3, baseDelayMs: 1, maxDelayMs: 1 } };
const ids = (chunk: readonly FakeEntry[]) => chunk.map((entry) => entry.eventId);

describe("defineSender", () => {
  it("resolves the target once, builds every entry with it and sends chunks within the limits", async () => {
    const transport = fakeTransport(async () => []);
    const send = defineSender(transport);
    await send(NoteQueued, [event("a"), event("b"), event("c", 50), event("d", 50), event("e")], {
      ...fast,
      destination: "q",
    });
    expect(transport.target).toHaveBeenCalledTimes(1);
    expect(transport.entry.mock.results.map((r) => (r.value as FakeEntry).to)).toEqual(
      Array(5).fill(`q:${NoteQueued.type}`),
    );
    // 2 a request; c and d fit together (100 bytes); e is left for a request of its own.
    expect(transport.send.mock.calls.map(([chunk, target]) => [ids(chunk), target.to])).toEqual([
      [["a", "b"], `q:${NoteQueued.type}`],
      [["c", "d"], `q:${NoteQueued.type}`],
      [["e"], `q:${NoteQueued.type}`],
    ]);
  });

  it("sends nothing when the target refuses the contract", async () => {
    const transport = fakeTransport(async () => []);
    transport.target.mockImplementation(() => {
      throw new Error("no destination");
    });
    await expect(defineSender(transport)(NoteQueued, [event("a")], fast)).rejects.toThrow("no destination");
    expect(transport.entry).not.toHaveBeenCalled();
    expect(transport.send).not.toHaveBeenCalled();
  });

  it("refuses the transport's own bad entries, then oversized ones, before sending anything", async () => {
    const order: string[] = [];
    const transport = {
      ...fakeTransport(async () => []),
      refuse: vi.fn((entries: readonly FakeEntry[]) => {
        order.push(`refuse ${entries.length}`);
      }),
    };
    const error = await defineSender(transport)(NoteQueued, [event("a"), event("big", 51), event("b")], fast).catch(
      (e: unknown) => e,
    );
    expect(order).toEqual(["refuse 3"]);
    expect(error).toBeInstanceOf(PublishError);
    expect((error as PublishError).failures).toEqual([
      {
        eventId: "big",
        type: NoteQueued.type,
        code: "EntryTooLarge",
        message: "51 bytes, more than the 50 one entry may have",
      },
    ]);
    expect((error as PublishError).published).toEqual([]);
    expect(transport.send).not.toHaveBeenCalled();

    transport.refuse.mockImplementation(() => {
      throw new Error("bad key");
    });
    await expect(defineSender(transport)(NoteQueued, [event("big", 51)], fast)).rejects.toThrow("bad key");
    expect(transport.send).not.toHaveBeenCalled();
  });

  it("re-sends only retryable failures and throws for what is left, naming what got out", async () => {
    const attempts: string[][] = [];
    const transport = fakeTransport(async (chunk) => {
      attempts.push(ids(chunk));
      return chunk.flatMap((entry): EntryFailure<FakeEntry>[] => {
        if (entry.eventId === "throttled") return [{ entry, code: "Throttled", message: "slow down", retryable: true }];
        if (entry.eventId === "invalid") return [{ entry, code: "Invalid", message: "never", retryable: false }];
        return [];
      });
    });
    const error = await defineSender(transport)(
      NoteQueued,
      [event("a"), event("throttled"), event("invalid")],
      fast,
    ).catch((e: unknown) => e);
    expect(attempts).toEqual([["a", "throttled"], ["invalid"], ["throttled"], ["throttled"]]);
    expect(error).toBeInstanceOf(PublishError);
    expect((error as PublishError).failures.map((f) => [f.eventId, f.code])).toEqual([
      ["invalid", "Invalid"],
      ["throttled", "Throttled"],
    ]);
    expect((error as PublishError).published).toEqual(["a"]);
  });

  it("sends nothing for no events", async () => {
    const transport = fakeTransport(async () => []);
    await defineSender(transport)(NoteQueued, [], fast);
    expect(transport.target).toHaveBeenCalledTimes(1);
    expect(transport.send).not.toHaveBeenCalled();
  });
});

describe("answer mappings", () => {
  const chunk = ["a", "b", "c"].map((eventId) => ({ eventId }));

  it("positionalFailures: the i-th result is the i-th entry's; no id, an error or no result is a failure", () => {
    type Result = { EventId?: string; ErrorCode?: string; ErrorMessage?: string };
    const results: Result[] = [
      { EventId: "e-a" },
      { ErrorCode: "ThrottlingException", ErrorMessage: "slow down" },
      { EventId: "e-c", ErrorCode: "InternalFailure" },
    ];
    const idOf = (result: Result) => result.EventId;
    expect(positionalFailures(chunk, { failedCount: 2, results, idOf })).toEqual([
      { entry: chunk[1], code: "ThrottlingException", message: "slow down", retryable: true },
      { entry: chunk[2], code: "InternalFailure", message: "no result for this entry", retryable: true },
    ]);
    expect(positionalFailures(chunk, { failedCount: 1, results: results.slice(0, 1), idOf })).toEqual([
      { entry: chunk[1], code: "MissingResult", message: "no result for this entry", retryable: true },
      { entry: chunk[2], code: "MissingResult", message: "no result for this entry", retryable: true },
    ]);
    // The answer's own count of failures is taken at its word.
    expect(positionalFailures(chunk, { failedCount: 0, results: [], idOf })).toEqual([]);
    expect(positionalFailures(chunk, { failedCount: undefined, results: undefined, idOf })).toEqual([]);
  });

  it("batchFailures: matched by id; a sender fault is final; an entry not mentioned is failed", () => {
    expect(
      batchFailures(chunk, {
        Successful: [{ Id: "a" }],
        Failed: [{ Id: "b", Code: "InvalidParameterValue", Message: "bad attribute", SenderFault: true }],
      }),
    ).toEqual([
      { entry: chunk[1], code: "InvalidParameterValue", message: "bad attribute", retryable: false },
      { entry: chunk[2], code: "MissingResult", message: "no result for this entry", retryable: true },
    ]);
  });
});
