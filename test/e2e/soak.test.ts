import { SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import {
  balanced,
  draw,
  formatReport,
  loopbackUrl,
  MIX,
  type Operation,
  percentile,
  type Reconciliation,
  Recorder,
  ROUTE_CLASSES,
  reconcile,
  reconciled,
  runSoak,
  runtimeOf,
  type SoakResult,
  type Truth,
} from "../../scripts/soak/index.js";
import { main } from "../../scripts/soak.js";
import { type DevServer, startDev } from "../support/devServer.js";

/**
 * The soak's small form (`npm run soak` sends 10,000 at 32-way): 300 mixed requests at 16-way against a real
 * `npm run dev`, then the drain and the reconciliation: no 5xx, every counter equal to the ground truth the run kept,
 * every event published consumed or in a DLQ with its reason. Then the reconciliation is shown to catch what it
 * is there for: a ground truth that claims more than happened, and a message sitting in a DLQ.
 */

const REQUESTS = 300;
let dev: DevServer;
let result: SoakResult;

beforeAll(async () => {
  dev = await startDev();
  result = await runSoak({ url: dev.url, requests: REQUESTS, concurrency: 16, drainMs: 60_000, timeLimitMs: 90_000 });
  console.log(formatReport(result).join("\n"));
}, 200_000);
afterAll(() => dev?.stop());

describe("a soak of 300 mixed requests at 16-way", () => {
  test("sends its whole budget over every route class, with no 5xx and no answer it did not expect", () => {
    const m = result.measurements;
    expect(m.requests).toBe(REQUESTS);
    expect(m.fiveXx).toBe(0);
    expect(m.unexpected).toEqual([]);
    for (const c of ROUTE_CLASSES) expect(m.latencies[c].length, `${c} requests`).toBeGreaterThan(0);
    const counted = Object.values(m.statuses).reduce((a, b) => a + b, 0);
    expect(counted).toBe(REQUESTS);
  });

  test("drains, and every counter equals its ground truth", () => {
    const r = result.reconciliation;
    expect(r.drained).toBe(true);
    expect(r.counters.map((c) => c.name).sort()).toEqual(
      [
        "forum postCount",
        "forum threadCount",
        "leaderboard posts",
        "media ready",
        "popular views",
        "thread authorName",
        "thread postCount",
        "user stats.posts",
        "user stats.threads",
      ].sort(),
    );
    for (const c of r.counters) {
      expect(c.items, c.name).toBeGreaterThan(0);
      expect(c.mismatches, c.name).toEqual([]);
    }
  });

  test("every event published was consumed (or sits in a DLQ with a reason), at every consumer", () => {
    const r = result.reconciliation;
    const consumed = r.events.filter((e) => e.found !== null);
    expect(new Set(consumed.map((e) => e.consumer))).toEqual(
      new Set([
        "ForumsThreadCreated",
        "UsersThreadCreated",
        "ForumsPostCreated",
        "UsersPostCreated",
        "ProductsProductViewed",
        "MediaWorker",
        "ProductsMediaProcessed",
        "UsersMediaProcessed",
      ]),
    );
    for (const e of consumed) {
      expect(e.expected, `${e.event} → ${e.consumer}`).toBeGreaterThan(0);
      expect(e.found! + e.inDlq, `${e.event} → ${e.consumer}`).toBe(e.expected);
    }
    const posts = result.truth.published["forums.PostCreated"];
    expect(r.events.find((e) => e.consumer === "ForumsPostCreated")).toMatchObject({ expected: posts?.n, unknown: 0 });
    expect(r.dlq).toEqual([]);
    expect(reconciled(r)).toBe(true);
    expect(result.ok).toBe(true);
    expect(formatReport(result).at(-1)).toBe("verdict: PASS: no 5xx, everything reconciled");
  });
});

describe("the reconciliation catches what does not add up", () => {
  let tampered: Reconciliation;
  let truth: Truth;

  beforeAll(async () => {
    truth = structuredClone(result.truth);
    const [forumId, forum] = [...truth.forums][0]!;
    forum.posts.n += 1;
    truth.hotProducts[0]!.views.n += 2;
    truth.published["products.ProductViewed"]!.n += 2;
    const runtime = await runtimeOf(dev.url);
    // A ThreadCreated the forums consumer set aside, as `failureQueue` records one: its reason in the attributes.
    const sqs = new SQSClient(dev.clientConfig("sqs"));
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: dev.resources.ForumsThreadCreatedDlq!.url!,
        MessageBody: JSON.stringify({ id: "evt-soak-poison", type: "forums.ThreadCreated", data: { forumId } }),
        MessageAttributes: {
          errorCode: { DataType: "String", StringValue: "ValidationError" },
          errorMessage: { DataType: "String", StringValue: "threadId is missing" },
          source: { DataType: "String", StringValue: "eventbridge" },
          eventType: { DataType: "String", StringValue: "forums.ThreadCreated" },
        },
      }),
    );
    tampered = await reconcile(runtime, truth, { drainMs: 30_000 });
  }, 120_000);

  test("a counter the consumers never reached is named with what was expected and what was found", () => {
    const [forumId, forum] = [...truth.forums][0]!;
    const check = (name: string) => tampered.counters.find((c) => c.name === name)!;
    expect(check("forum postCount").mismatches).toEqual([
      `forum ${forumId}: expected ${forum.posts.n}, found ${forum.posts.n - 1}`,
    ]);
    const hot = truth.hotProducts[0]!;
    expect(check("popular views").mismatches).toEqual([
      `product ${hot.productId}: expected ${hot.views.n}, found ${hot.views.n - 2}`,
    ]);
    const views = tampered.events.find((e) => e.consumer === "ProductsProductViewed")!;
    expect(views.found! + views.inDlq).toBe(views.expected - 2);
    expect(reconciled(tampered)).toBe(false);
  });

  test("a DLQ message is read with its reason and counted against its event and consumer", () => {
    expect(tampered.dlq).toEqual([
      expect.objectContaining({
        dlq: "ForumsThreadCreatedDlq",
        kind: "poison",
        eventType: "forums.ThreadCreated",
        eventId: "evt-soak-poison",
        reason: "ValidationError: threadId is missing (from eventbridge)",
      }),
    ]);
    const row = tampered.events.find((e) => e.consumer === "ForumsThreadCreated")!;
    expect(row).toMatchObject({ inDlq: 1, found: row.expected });
    expect(tampered.events.find((e) => e.consumer === "UsersThreadCreated")).toMatchObject({ inDlq: 0 });
    expect(tampered.unattributed).toEqual([]);
    const report = formatReport({ ...result, reconciliation: tampered, ok: false });
    expect(report).toContain(
      "  ForumsThreadCreatedDlq poison forums.ThreadCreated evt-soak-poison: ValidationError: threadId is missing (from eventbridge)",
    );
    expect(report.at(-1)).toBe("verdict: FAIL");
  });
});

describe("the soak's parts", () => {
  test("the mix draws every operation by its weight, reads first", () => {
    const drawn = new Map<Operation, number>();
    const n = 20_000;
    for (let i = 0; i < n; i++) {
      const op = draw((i + 0.5) / n);
      drawn.set(op, (drawn.get(op) ?? 0) + 1);
    }
    const total = Object.values(MIX).reduce((a, e) => a + e.weight, 0);
    for (const [op, entry] of Object.entries(MIX) as [Operation, { weight: number }][])
      expect(Math.abs((drawn.get(op) ?? 0) / n - entry.weight / total), op).toBeLessThan(0.001);
    const reads = Object.values(MIX)
      .filter((e) => e.class === "read")
      .reduce((a, e) => a + e.weight, 0);
    expect(reads / total).toBeGreaterThan(0.5);
    expect(draw(0)).toBe("getProduct");
    expect(draw(0.999_999)).toBe("upload");
  });

  test("the recorder never sends past its budget, and counts a 5xx and an unanswered request as faults", () => {
    const recorder = new Recorder(3);
    expect(recorder.take(2)).toBe(true);
    expect(recorder.take(2)).toBe(false);
    expect(recorder.take()).toBe(true);
    expect(recorder.take()).toBe(false);
    recorder.record("read", 200, 1);
    recorder.record("write", 503, 2);
    recorder.record("post", 0, 3);
    const m = recorder.measurements();
    expect(m).toMatchObject({ requests: 3, fiveXx: 2, statuses: { "read 200": 1, "write 503": 1, "post 0": 1 } });
  });

  test("a pair's second request, reserved with the first and then not needed, goes back to the budget", () => {
    const recorder = new Recorder(3);
    expect(recorder.take(2)).toBe(true);
    // Another worker cannot take the reserved second request in between.
    expect(recorder.take(2)).toBe(false);
    recorder.release();
    expect(recorder.remaining).toBe(2);
    expect(recorder.take(2)).toBe(true);
    expect(recorder.measurements().requests).toBe(3);
  });

  test("a row balances within the writes answered with a fault, and only there", () => {
    const row = { event: "forums.PostCreated", consumer: "ForumsPostCreated", via: "", inDlq: 0 };
    expect(balanced({ ...row, expected: 10, unknown: 0, found: 10 })).toBe(true);
    expect(balanced({ ...row, expected: 10, unknown: 0, found: 11 })).toBe(false);
    expect(balanced({ ...row, expected: 10, unknown: 0, found: 9 })).toBe(false);
    expect(balanced({ ...row, expected: 10, unknown: 0, found: 9, inDlq: 1 })).toBe(true);
    expect(balanced({ ...row, expected: 10, unknown: 2, found: 12 })).toBe(true);
    expect(balanced({ ...row, expected: 10, unknown: 2, found: 13 })).toBe(false);
    expect(balanced({ ...row, expected: 10, unknown: 2, found: null })).toBeUndefined();
  });

  test("percentiles by nearest rank", () => {
    expect(percentile([], 0.5)).toBeNaN();
    expect(percentile([3, 1, 2], 0.5)).toBe(2);
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.99)).toBe(10);
    expect(percentile([5], 0.01)).toBe(5);
  });

  test("only loopback is a target", () => {
    expect(loopbackUrl("http://127.0.0.1:4000/x")).toBe("http://127.0.0.1:4000");
    expect(loopbackUrl("http://localhost:4000")).toBe("http://localhost:4000");
    expect(loopbackUrl("http://[::1]:4000")).toBe("http://[::1]:4000");
    for (const url of [
      "http://10.0.0.1:4000",
      "http://192.168.1.2",
      "https://api.example.com",
      "http://127.example.com",
    ])
      expect(() => loopbackUrl(url), url).toThrow(/only targets loopback/);
  });

  test("the command refuses a bad count and a gateway off loopback before it sends anything", async () => {
    await expect(main(["--requests", "0"])).rejects.toThrow(/--requests takes a positive integer/);
    await expect(main(["--concurrency", "many"])).rejects.toThrow(/--concurrency takes a positive integer/);
    await expect(main(["--url", "http://10.0.0.1:4000", "--requests", "5"])).rejects.toThrow(/only targets loopback/);
    await expect(main(["--url"])).rejects.toThrow(/usage: npm run soak/);
  });
});
