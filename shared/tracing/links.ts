import type { Transport } from "../routing/index.js";
import type { TraceContext } from "./traceHeader.js";

/** The hop a link crosses: a transport of the routing guide, or the table's stream the outbox publisher reads. */
export type LinkVia = Transport | "dynamodb-streams";

/** A span link as AWS's OpenTelemetry-to-X-Ray exporter writes it on a segment document (the console reads it). */
export interface LinkDocument {
  readonly trace_id: string;
  readonly id: string;
  readonly attributes: { readonly "messaging.system": LinkVia };
}

/** X-Ray keeps at most 20 links on one segment document, and 100 in one trace. */
export const MAX_LINKS_PER_DOCUMENT = 20;
export const MAX_LINKS_PER_TRACE = 100;

/** The (sub)segment field a link is written to. */
export interface Linkable {
  links?: LinkDocument[];
}

/**
 * Adds a link from `entity` to the producer's (sub)segment named by `producer` (its `Root` and `Parent`), at most
 * {@link MAX_LINKS_PER_DOCUMENT} and each target once. A producer header without a parent names no (sub)segment:
 * nothing to link to.
 *
 * @example
 * ```ts
 * addLink(subsegment, parseTraceHeader(envelope.traceHeader), "kinesis");
 * ```
 */
export function addLink(entity: Linkable, producer: TraceContext | undefined, via: LinkVia): boolean {
  if (!producer?.parent) return false;
  const links = entity.links ?? [];
  if (links.length >= MAX_LINKS_PER_DOCUMENT) return false;
  if (links.some((l) => l.trace_id === producer.root && l.id === producer.parent)) return false;
  entity.links = [...links, { trace_id: producer.root, id: producer.parent, attributes: { "messaging.system": via } }];
  return true;
}
