/**
 * What an event needs from its delivery. The transport is never chosen directly: it follows from these needs
 * through the routing guide (`routingGuide.ts`), so the reason for every transport can be read off the contract.
 */
export interface DeliveryNeeds {
  /** How many independent consumers read the event: `one`, a `few` (2–3, known), or `many` (open-ended). */
  readonly fanOut: "one" | "few" | "many";
  /** `perKey`: consumers must see the events of one key (say, one thread) in the order they were produced. */
  readonly ordering: "none" | "perKey";
  /** Consumers must be able to read the history again (a new consumer, a bug fix, a rebuilt projection). */
  readonly replay: boolean;
  /** `massive`: a click-stream, thousands of events a second, consumed in batches. */
  readonly throughput: "standard" | "massive";
  /** The work must wait until a consumer can take it, at the consumer's pace (spiky producers, slow workers). */
  readonly buffering: boolean;
  /** Consumers select events by their content (rules or filter policies on payload fields). */
  readonly contentRules: boolean;
}

export type Transport = "kinesis" | "eventbridge" | "sns" | "sqs";

export const transports = ["kinesis", "eventbridge", "sns", "sqs"] as const satisfies readonly Transport[];

/** Every value each need can take: the routing guide's tests walk the whole product of these. */
export const needValues = {
  fanOut: ["one", "few", "many"],
  ordering: ["none", "perKey"],
  replay: [false, true],
  throughput: ["standard", "massive"],
  buffering: [false, true],
  contentRules: [false, true],
} as const satisfies { readonly [K in keyof DeliveryNeeds]: readonly DeliveryNeeds[K][] };

/** The needs of an event that asks for nothing special: one consumer, no order, no replay, no buffering. */
export const baselineNeeds = {
  fanOut: "one",
  ordering: "none",
  replay: false,
  throughput: "standard",
  buffering: false,
  contentRules: false,
} as const satisfies DeliveryNeeds;

type Exactly<P> = { readonly [K in keyof P]: P[K] };

/**
 * Delivery needs stated as what differs from the baseline, with literal types kept so the routing guide can
 * pick the transport at the type level.
 *
 * @example
 * ```ts
 * needs({ fanOut: "few", ordering: "perKey", replay: true }); // → Kinesis
 * ```
 */
export function needs<const P extends Partial<DeliveryNeeds>>(
  wanted: P,
): Exactly<Omit<typeof baselineNeeds, keyof P> & P> {
  return { ...baselineNeeds, ...wanted };
}
