import { createHash } from "node:crypto";

/**
 * SQS's `AWSTraceHeader` message system attribute, which fauxqs drops. Kept here by message id: fauxqs keeps a
 * message's id when it redrives it to a dead-letter queue, as SQS does, so the header follows it there.
 *
 * AWS behaviour reproduced (SQS API reference, X-Ray developer guide "Amazon SQS and AWS X-Ray"):
 * - SendMessage / SendMessageBatch accept `MessageSystemAttributes: { AWSTraceHeader: { DataType: "String", StringValue } }`;
 *   it is the only system attribute a sender may set, and its type must be String.
 * - The `X-Amzn-Trace-Id` HTTP header of a SendMessage(Batch) call applies to every message of the call; an explicit
 *   `AWSTraceHeader` attribute overrides it.
 * - The send result carries `MD5OfMessageSystemAttributes`, computed like `MD5OfMessageAttributes`.
 * - ReceiveMessage returns it in `Attributes` when `AWSTraceHeader` or `All` is asked for, through
 *   `MessageSystemAttributeNames` or the legacy `AttributeNames`.
 */

type Json = Record<string, unknown>;

interface SystemAttributeValue {
  DataType?: string;
  StringValue?: string;
  BinaryValue?: string;
}

export const TRACE_HEADER_ATTRIBUTE = "AWSTraceHeader";

/** A request the proxy must refuse the way SQS does. */
export class SqsRequestError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

function lengthPrefixed(bytes: Buffer): Buffer[] {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(bytes.length);
  return [length, bytes];
}

/**
 * MD5 of message (system) attributes per the SQS developer guide: for each attribute in name order, the
 * 4-byte big-endian length and UTF-8 bytes of the name and of the data type, one transport byte (1 string or
 * number, 2 binary), and the length-prefixed value.
 */
export function md5OfAttributes(attributes: Record<string, SystemAttributeValue>): string {
  const parts: Buffer[] = [];
  for (const name of Object.keys(attributes).sort()) {
    const value = attributes[name] ?? {};
    const dataType = value.DataType ?? "String";
    parts.push(...lengthPrefixed(Buffer.from(name, "utf8")), ...lengthPrefixed(Buffer.from(dataType, "utf8")));
    if (dataType.startsWith("Binary")) {
      parts.push(Buffer.from([2]), ...lengthPrefixed(Buffer.from(value.BinaryValue ?? "", "base64")));
    } else {
      parts.push(Buffer.from([1]), ...lengthPrefixed(Buffer.from(value.StringValue ?? "", "utf8")));
    }
  }
  return createHash("md5").update(Buffer.concat(parts)).digest("hex");
}

function isObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Validates one entry's `MessageSystemAttributes` and returns its trace header, if any. */
function explicitTraceHeader(entry: Json): string | undefined {
  const attributes = entry.MessageSystemAttributes;
  if (attributes === undefined) return undefined;
  if (!isObject(attributes)) throw new SqsRequestError("InvalidParameterValue", "MessageSystemAttributes is invalid.");
  for (const [name, value] of Object.entries(attributes)) {
    if (name !== TRACE_HEADER_ATTRIBUTE) {
      throw new SqsRequestError(
        "InvalidParameterValue",
        `Message system attribute name '${name}' is invalid. Reason: only ${TRACE_HEADER_ATTRIBUTE} is supported.`,
      );
    }
    if (!isObject(value) || value.DataType !== "String" || typeof value.StringValue !== "string") {
      throw new SqsRequestError(
        "InvalidParameterValue",
        `Message system attribute ${TRACE_HEADER_ATTRIBUTE} must have DataType String and a StringValue.`,
      );
    }
    return value.StringValue;
  }
  return undefined;
}

function wantsTraceHeader(request: Json): boolean {
  const names = [request.MessageSystemAttributeNames, request.AttributeNames].flatMap((list) =>
    Array.isArray(list) ? list : [],
  );
  return names.includes("All") || names.includes(TRACE_HEADER_ATTRIBUTE);
}

/**
 * Keeps trace headers by message id and patches SQS JSON requests and responses that pass the proxy.
 *
 * @example
 * ```ts
 * const traces = new SqsTraceHeaders();
 * const pending = traces.beforeSend("SendMessage", body, req.headers["x-amzn-trace-id"]);
 * // ...forward body to fauxqs, parse the response into `result`...
 * traces.afterSend("SendMessage", pending, result);
 * ```
 */
export class SqsTraceHeaders {
  readonly #byMessageId = new Map<string, string>();
  readonly #messageIdByReceipt = new Map<string, string>();
  readonly #limit: number;

  /** `limit` bounds memory: the oldest headers are forgotten first (messages live at most 14 days anyway). */
  constructor(limit = 100_000) {
    this.#limit = limit;
  }

  get size(): number {
    return this.#byMessageId.size;
  }

  /**
   * Validates and strips `MessageSystemAttributes` from a send request (fauxqs ignores them) and returns the
   * header each entry will carry, by entry id (`""` for SendMessage).
   */
  beforeSend(action: string, body: Json, httpTraceHeader: string | undefined): Map<string, string> {
    const headers = new Map<string, string>();
    const entries = action === "SendMessageBatch" ? (Array.isArray(body.Entries) ? body.Entries : []) : [body];
    for (const entry of entries) {
      if (!isObject(entry)) continue;
      const header = explicitTraceHeader(entry) ?? httpTraceHeader;
      delete entry.MessageSystemAttributes;
      if (header) headers.set(action === "SendMessageBatch" ? String(entry.Id) : "", header);
    }
    return headers;
  }

  /** Remembers the headers under the message ids fauxqs assigned and adds `MD5OfMessageSystemAttributes`. */
  afterSend(action: string, headers: Map<string, string>, result: Json): void {
    if (headers.size === 0) return;
    const results =
      action === "SendMessageBatch" ? (Array.isArray(result.Successful) ? result.Successful : []) : [result];
    for (const entry of results) {
      if (!isObject(entry) || typeof entry.MessageId !== "string") continue;
      const header = headers.get(action === "SendMessageBatch" ? String(entry.Id) : "");
      if (!header) continue;
      // A FIFO duplicate returns the first message's id: that message keeps its own header.
      if (!this.#byMessageId.has(entry.MessageId)) this.#remember(entry.MessageId, header);
      entry.MD5OfMessageSystemAttributes = md5OfAttributes({
        [TRACE_HEADER_ATTRIBUTE]: { DataType: "String", StringValue: header },
      });
    }
  }

  /** Adds `Attributes.AWSTraceHeader` to received messages when the request asked for it. */
  afterReceive(request: Json, result: Json): void {
    if (!Array.isArray(result.Messages)) return;
    const wanted = wantsTraceHeader(request);
    for (const message of result.Messages) {
      if (!isObject(message) || typeof message.MessageId !== "string") continue;
      const header = this.#byMessageId.get(message.MessageId);
      if (!header) continue;
      if (typeof message.ReceiptHandle === "string")
        this.#messageIdByReceipt.set(message.ReceiptHandle, message.MessageId);
      if (wanted)
        message.Attributes = { ...(isObject(message.Attributes) ? message.Attributes : {}), AWSTraceHeader: header };
    }
  }

  /** Forgets the headers of messages a successful DeleteMessage / DeleteMessageBatch removed. */
  afterDelete(action: string, request: Json, result: Json): void {
    const batch = action === "DeleteMessageBatch";
    const deleted = new Set(
      (Array.isArray(result.Successful) ? result.Successful : []).map((entry: unknown) =>
        isObject(entry) ? entry.Id : "",
      ),
    );
    const entries = batch ? (Array.isArray(request.Entries) ? request.Entries : []) : [request];
    for (const entry of entries) {
      if (!isObject(entry) || typeof entry.ReceiptHandle !== "string") continue;
      if (batch && !deleted.has(entry.Id)) continue;
      const messageId = this.#messageIdByReceipt.get(entry.ReceiptHandle);
      this.#messageIdByReceipt.delete(entry.ReceiptHandle);
      if (messageId) this.#byMessageId.delete(messageId);
    }
  }

  #remember(messageId: string, header: string): void {
    this.#byMessageId.set(messageId, header);
    if (this.#byMessageId.size > this.#limit) {
      const oldest = this.#byMessageId.keys().next().value;
      if (oldest !== undefined) this.#byMessageId.delete(oldest);
    }
    if (this.#messageIdByReceipt.size > this.#limit) {
      const oldest = this.#messageIdByReceipt.keys().next().value;
      if (oldest !== undefined) this.#messageIdByReceipt.delete(oldest);
    }
  }
}
