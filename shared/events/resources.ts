import type { EventContract } from "./defineEvent.js";

/**
 * The linked-resource name each event is published to, derived from the contract alone so that the publisher,
 * the stacks and the local runtime agree without a list written twice.
 * - EventBridge: the one bus, `Bus`.
 * - SNS: one topic per event, `<Domain><Name>Topic` (a topic per event keeps filter policies trivial).
 * - SQS: one queue per event, `<Domain><Name>Queue`.
 * - Kinesis: one stream per event, `<Domain><Name>Stream` (its own shard capacity and retention).
 */
export function resourceNameFor(contract: Pick<EventContract, "transport" | "domain" | "name">): string {
  const base = `${contract.domain[0]!.toUpperCase()}${contract.domain.slice(1)}${contract.name}`;
  switch (contract.transport) {
    case "eventbridge":
      return "Bus";
    case "sns":
      return `${base}Topic`;
    case "sqs":
      return `${base}Queue`;
    case "kinesis":
      return `${base}Stream`;
  }
}

/**
 * The EventBridge `source` of a contract's events, `summit.<domain>`: the publisher sets it and every rule pattern
 * matches on it, both from here.
 *
 * @example
 * ```ts
 * eventSource(PostCreated); // "summit.forums"
 * ```
 */
export function eventSource(contract: Pick<EventContract, "domain">): string {
  return `summit.${contract.domain}`;
}
