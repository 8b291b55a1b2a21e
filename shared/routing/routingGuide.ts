import type { DeliveryNeeds, Transport } from "./deliveryNeeds.js";

/**
 * One row of the routing guide: when an event's needs include every entry of `when`, it travels on `transport`.
 * `because` names the need in words; the reasons of all matching rows for the chosen transport become the
 * sentence the docs print ("Kinesis: ordered per threadId, replayable").
 */
export interface RoutingRule {
  readonly when: { readonly [K in keyof DeliveryNeeds]?: DeliveryNeeds[K] | readonly DeliveryNeeds[K][] };
  readonly transport: Transport;
  readonly because: string;
}

/**
 * The routing guide, as data. Rows are tried top to bottom and the first match wins; the last row matches
 * everything. The same tuple is read at run time by {@link selectTransport} and at the type level by
 * {@link TransportFor}, so the compiler and the topology cannot disagree.
 *
 * - Kinesis first: ordering per key, replay and massive throughput are things only a stream gives.
 * - EventBridge for open-ended fan-out or content rules: rules match on any field, targets are many.
 * - SQS when one consumer must take the work at its own pace.
 * - SNS for the rest: one or a few consumers, pushed straight to them.
 *
 * A consumer that needs buffering behind a fan-out transport gets its own queue between the two; that is a
 * property of the consumer (see the service definitions), not of the event.
 */
export const routingGuide = [
  { when: { ordering: "perKey" }, transport: "kinesis", because: "ordered per key" },
  { when: { replay: true }, transport: "kinesis", because: "replayable" },
  { when: { throughput: "massive" }, transport: "kinesis", because: "massive throughput, read in batches" },
  { when: { fanOut: "many" }, transport: "eventbridge", because: "fan-out to many consumers" },
  { when: { contentRules: true }, transport: "eventbridge", because: "rules that match on content" },
  { when: { buffering: true }, transport: "sqs", because: "buffered until the consumer can take it" },
  { when: {}, transport: "sns", because: "pushed to one or a few consumers" },
] as const satisfies readonly RoutingRule[];

type Rules = typeof routingGuide;

type Matches<N, When> = {
  [K in keyof When]: K extends keyof N
    ? When[K] extends readonly unknown[]
      ? N[K] extends When[K][number]
        ? true
        : false
      : N[K] extends When[K]
        ? true
        : false
    : false;
}[keyof When] extends true
  ? true
  : keyof When extends never
    ? true
    : false;

type FirstMatch<N, R extends readonly RoutingRule[]> = R extends readonly [
  infer Head extends RoutingRule,
  ...infer Tail extends readonly RoutingRule[],
]
  ? Matches<N, Head["when"]> extends true
    ? Head["transport"]
    : FirstMatch<N, Tail>
  : never;

/** The transport the routing guide picks for needs `N`, computed by the compiler from {@link routingGuide}. */
export type TransportFor<N extends DeliveryNeeds> = FirstMatch<N, Rules>;

const matches = (needs: DeliveryNeeds, when: RoutingRule["when"]): boolean =>
  Object.entries(when).every(([key, wanted]) => {
    const actual = needs[key as keyof DeliveryNeeds];
    return Array.isArray(wanted) ? wanted.includes(actual) : actual === wanted;
  });

const labels: Record<Transport, string> = { kinesis: "Kinesis", eventbridge: "EventBridge", sns: "SNS", sqs: "SQS" };

export interface RoutingDecision<T extends Transport = Transport> {
  readonly transport: T;
  /** The reason in words, for the catalog and the docs. */
  readonly reason: string;
}

/**
 * Picks the transport for `needs` by the routing guide, with the reason in words.
 *
 * @example
 * ```ts
 * selectTransport({ fanOut: "few", ordering: "perKey", replay: true, throughput: "standard", buffering: false, contentRules: false })
 * // → { transport: "kinesis", reason: "Kinesis: ordered per key, replayable" }
 * ```
 */
export function selectTransport<const N extends DeliveryNeeds>(
  needs: N,
  options: { partitionKey?: string } = {},
): RoutingDecision<TransportFor<N>> {
  const first = routingGuide.find((rule) => matches(needs, rule.when));
  if (!first) throw new Error("routing guide has no catch-all row"); // unreachable: the last row matches all
  const transport = first.transport as TransportFor<N>;
  const because = routingGuide
    .filter((rule) => rule.transport === transport && Object.keys(rule.when).length > 0 && matches(needs, rule.when))
    .map((rule) =>
      rule.because === "ordered per key" && options.partitionKey ? `ordered per ${options.partitionKey}` : rule.because,
    );
  if (because.length === 0) because.push(first.because);
  return { transport, reason: `${labels[transport]}: ${because.join(", ")}` };
}
