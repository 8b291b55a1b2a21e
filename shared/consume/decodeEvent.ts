import * as v from "valibot";
import type { EventContract } from "../events/defineEvent.js";
import { type Envelope, envelopeSchema } from "../events/envelope.js";

/** Why a record can never be processed, whatever the retries: these go to the failure queue at once. */
export type PoisonCode =
  | "InvalidJson"
  | "InvalidEnvelope"
  | "UnknownEventType"
  | "UnsupportedVersion"
  | "InvalidPayload"
  /** The handler itself found the record can never succeed (say, an event too large for its transport). */
  | "Refused";

/**
 * Thrown by a handler for a record that no retry can help: the record goes to the failure queue with this reason
 * and counts as handled, instead of blocking its queue or shard. Any other error is retried.
 *
 * @example
 * ```ts
 * if (tooLarge) throw new PoisonError("Refused", `${bytes} bytes, more than the bus takes`);
 * ```
 */
export class PoisonError extends Error {
  constructor(
    readonly code: PoisonCode,
    message: string,
  ) {
    super(message);
    this.name = "PoisonError";
  }
}

export type Decoded =
  | { readonly ok: true; readonly contract: EventContract; readonly envelope: Envelope; readonly payload: unknown }
  | { readonly ok: false; readonly code: PoisonCode; readonly message: string; readonly eventType?: string };

/**
 * Checks a record the way the parser's envelope/schema split does: the envelope's frame first, then the
 * contract its `type` names and the `version` it must carry, then the payload against the contract's schema.
 * `envelope` is the value inside the transport's wrapping (already parsed, or JSON text).
 *
 * @example
 * ```ts
 * const decoded = decodeEvent(registry, record.body);
 * if (decoded.ok) await handler(decoded.payload, decoded.envelope, context);
 * ```
 */
export function decodeEvent(registry: ReadonlyMap<string, EventContract>, envelope: unknown): Decoded {
  let value = envelope;
  if (typeof envelope === "string") {
    try {
      value = JSON.parse(envelope);
    } catch (error) {
      return { ok: false, code: "InvalidJson", message: error instanceof Error ? error.message : String(error) };
    }
  }
  const frame = v.safeParse(envelopeSchema, value);
  if (!frame.success) {
    const type = typeof value === "object" && value !== null ? (value as { type?: unknown }).type : undefined;
    return {
      ok: false,
      code: "InvalidEnvelope",
      message: describe(frame.issues),
      ...(typeof type === "string" ? { eventType: type } : {}),
    };
  }
  const eventType = frame.output.type;
  const contract = registry.get(eventType);
  if (!contract) {
    return { ok: false, code: "UnknownEventType", message: `this consumer does not take ${eventType}`, eventType };
  }
  if (frame.output.version !== contract.version) {
    return {
      ok: false,
      code: "UnsupportedVersion",
      message: `${eventType} version ${frame.output.version}; this consumer takes version ${contract.version}`,
      eventType,
    };
  }
  const payload = v.safeParse(contract.schema, frame.output.data);
  if (!payload.success) return { ok: false, code: "InvalidPayload", message: describe(payload.issues), eventType };
  return { ok: true, contract, envelope: { ...frame.output, data: payload.output }, payload: payload.output };
}

function describe(issues: readonly v.BaseIssue<unknown>[]): string {
  return issues.map((issue) => `${v.getDotPath(issue) ?? "(root)"}: ${issue.message}`).join("; ");
}
