import type { EventContract } from "../events/defineEvent.js";
import type { Envelope } from "../events/envelope.js";
import { utf8Bytes } from "./chunkBySize.js";
import { maxMessageAttributes } from "./limits.js";

/** The attribute shape SNS and SQS share (`DataType` + `StringValue`). */
export interface StringAttribute {
  readonly DataType: "String" | "Number" | "String.Array";
  readonly StringValue: string;
}

export type MessageAttributes = Record<string, StringAttribute>;

/**
 * The message attributes of an SNS or SQS message: the envelope's identity (`eventType`, `eventVersion`,
 * `producer`, `correlationId`) and each of the contract's `attributes` taken from the payload, so that filter
 * policies can match them without reading the body. Numbers travel as `Number` (numeric filter rules),
 * booleans as `String`, arrays as `String.Array`; absent or empty values are left out (SQS refuses empty values).
 *
 * @example
 * ```ts
 * messageAttributes(MediaProcessed, envelope, payload).status; // { DataType: "String", StringValue: "ready" }
 * ```
 */
export function messageAttributes(
  contract: Pick<EventContract, "type" | "attributes">,
  envelope: Envelope,
  payload: Readonly<Record<string, unknown>>,
): MessageAttributes {
  const attributes: MessageAttributes = {
    eventType: { DataType: "String", StringValue: envelope.type },
    eventVersion: { DataType: "Number", StringValue: String(envelope.version) },
    producer: { DataType: "String", StringValue: envelope.producer },
    correlationId: { DataType: "String", StringValue: envelope.correlationId },
  };
  for (const name of contract.attributes) {
    const attribute = attributeOf(payload[name]);
    if (attribute) attributes[name] = attribute;
  }
  if (Object.keys(attributes).length > maxMessageAttributes) {
    throw new Error(`${contract.type}: more than ${maxMessageAttributes} message attributes (an SQS limit)`);
  }
  return attributes;
}

function attributeOf(value: unknown): StringAttribute | undefined {
  if (typeof value === "number" && Number.isFinite(value)) return { DataType: "Number", StringValue: String(value) };
  if (typeof value === "boolean") return { DataType: "String", StringValue: String(value) };
  if (typeof value === "string") return value === "" ? undefined : { DataType: "String", StringValue: value };
  if (Array.isArray(value)) return { DataType: "String.Array", StringValue: JSON.stringify(value) };
  return undefined;
}

/**
 * The size SNS and SQS count for a message: the body plus, for each attribute, its name, data type and value
 * (UTF-8 bytes). SQS system attributes such as `AWSTraceHeader` do not count.
 *
 * @example
 * ```ts
 * messageSize('{"a":1}', { k: { DataType: "String", StringValue: "v" } }); // 7 + 1 + 6 + 1 = 15
 * ```
 */
export function messageSize(body: string, attributes: MessageAttributes): number {
  let size = utf8Bytes(body);
  for (const [name, attribute] of Object.entries(attributes)) {
    size += utf8Bytes(name) + utf8Bytes(attribute.DataType) + utf8Bytes(attribute.StringValue);
  }
  return size;
}
