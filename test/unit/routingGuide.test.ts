import { describe, expect, expectTypeOf, test } from "vitest";
import type { DeliveryNeeds, Transport, TransportFor } from "../../shared/routing/index.js";
import { needValues, routingGuide, selectTransport } from "../../shared/routing/index.js";

/** The guide restated independently, as the architecture document words it, to check the table against. */
function expectedTransport(n: DeliveryNeeds): Transport {
  if (n.ordering === "perKey" || n.replay || n.throughput === "massive") return "kinesis";
  if (n.fanOut === "many" || n.contentRules) return "eventbridge";
  if (n.buffering) return "sqs";
  return "sns";
}

type Expected<N extends DeliveryNeeds> = N["ordering"] extends "perKey"
  ? "kinesis"
  : N["replay"] extends true
    ? "kinesis"
    : N["throughput"] extends "massive"
      ? "kinesis"
      : N["fanOut"] extends "many"
        ? "eventbridge"
        : N["contentRules"] extends true
          ? "eventbridge"
          : N["buffering"] extends true
            ? "sqs"
            : "sns";

/** Every combination of needs as a union of literal object types (3 × 2⁵ = 96 members). */
type AllNeeds<
  F extends DeliveryNeeds["fanOut"] = DeliveryNeeds["fanOut"],
  O extends DeliveryNeeds["ordering"] = DeliveryNeeds["ordering"],
  R extends boolean = boolean,
  T extends DeliveryNeeds["throughput"] = DeliveryNeeds["throughput"],
  B extends boolean = boolean,
  C extends boolean = boolean,
> = F extends unknown
  ? O extends unknown
    ? R extends unknown
      ? T extends unknown
        ? B extends unknown
          ? C extends unknown
            ? { fanOut: F; ordering: O; replay: R; throughput: T; buffering: B; contentRules: C }
            : never
          : never
        : never
      : never
    : never
  : never;

type Agrees<N> = N extends DeliveryNeeds
  ? [TransportFor<N>] extends [Expected<N>]
    ? [Expected<N>] extends [TransportFor<N>]
      ? true
      : false
    : false
  : never;

function* everyCombination(): Generator<DeliveryNeeds> {
  for (const fanOut of needValues.fanOut)
    for (const ordering of needValues.ordering)
      for (const replay of needValues.replay)
        for (const throughput of needValues.throughput)
          for (const buffering of needValues.buffering)
            for (const contentRules of needValues.contentRules)
              yield { fanOut, ordering, replay, throughput, buffering, contentRules };
}

describe("routing guide", () => {
  const combinations = [...everyCombination()];

  test("covers the whole product of needs", () => {
    expect(combinations).toHaveLength(96);
  });

  test.each(combinations.map((needs) => [JSON.stringify(needs), needs] as const))(
    "%s picks the transport the guide describes",
    (_, needs) => {
      expect(selectTransport(needs).transport).toBe(expectedTransport(needs));
    },
  );

  test("the type-level answer agrees with the guide for all 96 combinations", () => {
    expectTypeOf<Agrees<AllNeeds>>().toEqualTypeOf<true>();
    expectTypeOf<AllNeeds>().toMatchTypeOf<DeliveryNeeds>();
  });

  test("a transport type is computed from literal needs", () => {
    const needs = {
      fanOut: "few",
      ordering: "perKey",
      replay: true,
      throughput: "standard",
      buffering: false,
      contentRules: false,
    } as const;
    const decision = selectTransport(needs, { partitionKey: "threadId" });
    expectTypeOf(decision.transport).toEqualTypeOf<"kinesis">();
    expect(decision).toEqual({ transport: "kinesis", reason: "Kinesis: ordered per threadId, replayable" });
  });

  test("the reason names every need that points at the chosen transport, and only those", () => {
    expect(
      selectTransport({
        fanOut: "many",
        ordering: "none",
        replay: false,
        throughput: "massive",
        buffering: true,
        contentRules: true,
      }).reason,
    ).toBe("Kinesis: massive throughput, read in batches");
    expect(
      selectTransport({
        fanOut: "many",
        ordering: "none",
        replay: false,
        throughput: "standard",
        buffering: true,
        contentRules: true,
      }).reason,
    ).toBe("EventBridge: fan-out to many consumers, rules that match on content");
    expect(
      selectTransport({
        fanOut: "one",
        ordering: "none",
        replay: false,
        throughput: "standard",
        buffering: false,
        contentRules: false,
      }).reason,
    ).toBe("SNS: pushed to one or a few consumers");
  });

  test("the last row is a catch-all, so every combination has an answer", () => {
    expect(routingGuide.at(-1)?.when).toEqual({});
  });
});
