import { randomUUID } from "node:crypto";
import { EventBridgeClient, PutEventsCommand } from "@aws-sdk/client-eventbridge";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { UserRegistered } from "../../events/users.js";
import { services } from "../../services/index.js";
import { eventSource } from "../../shared/events/resources.js";
import { buildTopology } from "../../shared/topology/index.js";
import { type DevServer, startDev } from "../support/devServer.js";
import { eventually, newProduct, productsClient, slow, uid } from "../support/productsClient.js";

/**
 * Business metrics through a real `npm run dev`: what the functions emit as EMF reaches `/_dev/metrics`, counted once
 * per write that committed (a replayed idempotency key and a refused sign-up add nothing), and a poison event counts
 * in each consumer service's `EventsToDlq` under its event type.
 */
interface MetricRow {
  readonly service: string;
  readonly name: string;
  readonly unit: string;
  readonly dimensions: Record<string, string>;
  readonly sum: number;
  readonly count: number;
  readonly min: number;
  readonly max: number;
  readonly series: { minute: string; sum: number }[];
}
interface MetricsReport {
  readonly namespace: string;
  readonly metrics: MetricRow[];
}

const topology = buildTopology(services);
let dev: DevServer;
const client = productsClient(() => dev);

beforeAll(async () => {
  dev = await startDev();
}, 120_000);
afterAll(() => dev?.stop());

const report = async () => (await client.devJson<MetricsReport>("/_dev/metrics"))!;
const sumOf = (r: MetricsReport, service: string, name: string, dimensions: Record<string, string> = {}) =>
  r.metrics
    .filter(
      (m) =>
        m.service === service &&
        m.name === name &&
        Object.entries(dimensions).every(([key, value]) => m.dimensions[key] === value),
    )
    .reduce((total, m) => total + m.sum, 0);

describe("GET /_dev/metrics on npm run dev", () => {
  test("lists every declared metric, zero before anything happened", slow, async () => {
    const first = await report();
    expect(first.namespace).toBe("Summit");
    const declared = topology.services.flatMap((s) => s.metrics.map((m) => `${s.name}.${m.name}`));
    expect(first.metrics.map((m) => `${m.service}.${m.name}`)).toEqual(expect.arrayContaining(declared));
    const signUps = first.metrics.find((m) => m.service === "users" && m.name === "SignUps");
    expect(signUps).toEqual({
      service: "users",
      name: "SignUps",
      unit: "Count",
      dimensions: { service: "users" },
      sum: 0,
      count: 0,
      min: 0,
      max: 0,
      series: [],
    });
  });

  test("a sign-up counts once: its replay and a refused second sign-up add nothing", slow, async () => {
    const email = `${uid("metrics")}@example.com`;
    const body = { email, password: `pw-${randomUUID()}`, displayName: "Metrics" };
    const key = randomUUID();
    const first = await client.call("POST", "/users/signup", { json: body, headers: { "idempotency-key": key } });
    expect(first.status).toBe(201);
    const counted = await eventually(report, (r) => sumOf(r, "users", "SignUps") >= 1);
    expect(sumOf(counted, "users", "SignUps")).toBe(1);
    const row = counted.metrics.find((m) => m.service === "users" && m.name === "SignUps")!;
    expect(row).toMatchObject({ count: 1, min: 1, max: 1 });
    expect(row.series).toEqual([{ minute: expect.stringMatching(/:00\.000Z$/), sum: 1 }]);

    const replay = await client.call("POST", "/users/signup", { json: body, headers: { "idempotency-key": key } });
    expect(replay.status).toBe(201);
    expect(replay.text).toBe(first.text);
    const taken = await client.call("POST", "/users/signup", { json: { ...body, displayName: "Other" } });
    expect(taken.status).toBe(409);
    // Both were answered (their invocations ended, so anything they emitted is flushed): still one.
    expect(sumOf(await report(), "users", "SignUps")).toBe(1);
  });

  test("a product, and its views once counted, reach the products service's metrics", slow, async () => {
    const seller = await client.signUp("Metrics");
    const product = await client.createProduct(seller, newProduct(uid("metrics")));
    for (let i = 0; i < 3; i++)
      expect((await client.call("POST", `/products/${product.productId}/views`)).status).toBe(202);
    const counted = await eventually(report, (r) => sumOf(r, "products", "ProductViewsCounted") >= 3, 30_000);
    expect(sumOf(counted, "products", "ProductsCreated")).toBe(1);
    expect(sumOf(counted, "products", "ProductViewsCounted")).toBe(3);
    expect(sumOf(counted, "users", "SignUps")).toBe(2);
  });

  test("a poison event counts in EventsToDlq of every service consuming it, under its event type", slow, async () => {
    const consumers = topology.subscriptions.filter((s) => s.event === UserRegistered.type);
    expect(consumers.length).toBeGreaterThan(0);
    const expected = new Map<string, number>();
    for (const sub of consumers) expected.set(sub.service, (expected.get(sub.service) ?? 0) + 1);

    const bus = new EventBridgeClient(dev.clientConfig("eventbridge"));
    // The contract's frame, but a payload it refuses (no userId, a number for the email).
    const poison = {
      id: randomUUID(),
      type: UserRegistered.type,
      version: UserRegistered.version,
      time: new Date().toISOString(),
      producer: "users",
      correlationId: randomUUID(),
      data: { email: 42, displayName: "Poison" },
    };
    const put = await bus.send(
      new PutEventsCommand({
        Entries: [
          {
            EventBusName: dev.resources.Bus!.name!,
            Source: eventSource(UserRegistered),
            DetailType: UserRegistered.type,
            Detail: JSON.stringify(poison),
          },
        ],
      }),
    );
    bus.destroy();
    expect(put.FailedEntryCount ?? 0).toBe(0);

    const eventType = { eventType: UserRegistered.type };
    const done = (r: MetricsReport) =>
      [...expected].every(([service, n]) => sumOf(r, service, "EventsToDlq", eventType) >= n);
    const counted = await eventually(report, done, 30_000);
    for (const [service, n] of expected) expect(sumOf(counted, service, "EventsToDlq", eventType), service).toBe(n);
    const row = counted.metrics.find((m) => m.name === "EventsToDlq" && m.dimensions.eventType === UserRegistered.type);
    expect(row?.dimensions).toEqual({ service: row?.service, eventType: UserRegistered.type });
    // The valid sign-ups' own UserRegistered events went nowhere near a DLQ.
    expect(
      counted.metrics.filter((m) => m.name === "EventsToDlq").every((m) => m.dimensions.eventType !== "unknown"),
    ).toBe(true);
  });
});
