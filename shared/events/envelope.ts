import * as v from "valibot";

/**
 * The one envelope every event travels in, whatever the transport: the EventBridge `detail`, the SNS `Message`,
 * the SQS `MessageBody` and the Kinesis record `Data` are all this object, as JSON.
 *
 * Kinesis carries no trace context of its own, so `traceHeader` is how a stream consumer links to its producer;
 * on the other transports it repeats what the transport carries natively.
 */
export interface Envelope<Type extends string = string, P = unknown> {
  readonly id: string;
  readonly type: Type;
  readonly version: number;
  /** When the event happened, ISO 8601 UTC. */
  readonly time: string;
  /** The producing service. */
  readonly producer: string;
  /** Follows a piece of work across services: the request id that started it, passed on by every hop. */
  readonly correlationId: string;
  /** The X-Ray trace header at the moment of publishing (`Root=…;Parent=…;Sampled=…`). */
  readonly traceHeader?: string;
  readonly data: P;
}

const isoTime = v.pipe(v.string(), v.isoTimestamp());

/** Validates an envelope's frame; the payload (`data`) is validated against the event's own contract. */
export const envelopeSchema = v.object({
  id: v.pipe(v.string(), v.minLength(1), v.maxLength(128)),
  type: v.pipe(v.string(), v.regex(/^[a-z][a-z0-9-]*\.[A-Z][A-Za-z0-9]*$/)),
  version: v.pipe(v.number(), v.integer(), v.minValue(1)),
  time: isoTime,
  producer: v.pipe(v.string(), v.minLength(1)),
  correlationId: v.pipe(v.string(), v.minLength(1), v.maxLength(256)),
  traceHeader: v.optional(v.pipe(v.string(), v.maxLength(256))),
  data: v.unknown(),
});
