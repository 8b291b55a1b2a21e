import type { Envelope } from "../events/envelope.js";

/** One event ready to leave: its envelope, serialized once, and the payload it came from. */
export interface OutgoingEvent {
  readonly envelope: Envelope;
  /** The envelope as JSON: the body every transport carries. */
  readonly body: string;
  /** The validated payload, for partition keys and message attributes. */
  readonly payload: Readonly<Record<string, unknown>>;
}
