import { randomBytes, randomUUID } from "node:crypto";

/**
 * S3 event notifications, which fauxqs accepts but never sends. Reproduces (S3 user guide, "Amazon S3 Event
 * Notifications", "Event message structure", "Configuring event notifications using object key name filtering"):
 * - Put/GetBucketNotificationConfiguration store and return Queue, Topic and CloudFunction configurations
 *   (an `Id` is generated when none is given) and the EventBridge switch;
 * - putting a configuration validates it (event names, prefix/suffix rules, no two configurations sharing an
 *   event type with overlapping filters, destinations that exist) and sends `s3:TestEvent` to each queue and topic;
 * - every successful object creation sends, to each configuration whose event and key filter match, a message
 *   with one record of event version 2.1, the key URL-encoded and the ETag unquoted.
 * Not delivered here: CloudFunction (Lambda) and EventBridge destinations (stored and returned only), and the
 * ObjectRemoved / Restore / Replication / Lifecycle / Tagging event families.
 */

export type DestinationKind = "Queue" | "Topic" | "CloudFunction";

export interface FilterRule {
  Name: string;
  Value: string;
}

export interface NotificationTarget {
  kind: DestinationKind;
  id: string;
  arn: string;
  events: string[];
  rules: FilterRule[];
}

export interface NotificationConfiguration {
  targets: NotificationTarget[];
  eventBridge: boolean;
}

/** Where notifications go: implemented over the SQS and SNS emulators. */
export interface NotificationDestinations {
  exists(kind: DestinationKind, arn: string): Promise<boolean>;
  deliver(kind: DestinationKind, arn: string, message: string): Promise<void>;
}

/** An S3 error response (`<Error><Code>…`). */
export class S3RequestError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
    readonly argument?: { name: string; value: string },
  ) {
    super(message);
  }
}

export type ObjectCreatedEventName =
  | "ObjectCreated:Put"
  | "ObjectCreated:Post"
  | "ObjectCreated:Copy"
  | "ObjectCreated:CompleteMultipartUpload";

export interface ObjectCreated {
  bucket: string;
  /** the key as stored (not encoded) */
  key: string;
  eventName: ObjectCreatedEventName;
  size: number;
  /** with or without the quotes S3 puts around it in headers */
  eTag: string;
  principalId: string;
  sourceIp: string;
  requestId: string;
  hostId: string;
}

const KINDS: readonly DestinationKind[] = ["Queue", "Topic", "CloudFunction"];
const XMLNS = "http://s3.amazonaws.com/doc/2006-03-01/";

const XML_ENTITIES: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };

function unescapeXml(text: string): string {
  return text.replace(/&(amp|lt|gt|quot|apos|#x[0-9a-fA-F]+|#\d+);/g, (_m, entity: string) => {
    if (entity.startsWith("#x")) return String.fromCodePoint(Number.parseInt(entity.slice(2), 16));
    if (entity.startsWith("#")) return String.fromCodePoint(Number.parseInt(entity.slice(1), 10));
    return XML_ENTITIES[entity] ?? "";
  });
}

export function escapeXml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/** Inner XML of each `<tag>` element (the notification schema never nests a tag in itself). */
function elements(xml: string, tag: string): string[] {
  const found: string[] = [];
  const pattern = new RegExp(`<${tag}(?:\\s[^>]*)?(?:/>|>([\\s\\S]*?)</${tag}>)`, "g");
  for (const match of xml.matchAll(pattern)) found.push(match[1] ?? "");
  return found;
}

function text(xml: string, tag: string): string | undefined {
  const inner = elements(xml, tag)[0];
  return inner === undefined ? undefined : unescapeXml(inner.trim());
}

const EVENT_NAME = /^s3:[A-Za-z]+(?::[A-Za-z*]+)?$/;

/** Parses and validates a PutBucketNotificationConfiguration body. */
export function parseNotificationConfiguration(xml: string): NotificationConfiguration {
  if (!/<NotificationConfiguration[\s>/]/.test(xml)) {
    throw new S3RequestError(
      "MalformedXML",
      "The XML you provided was not well-formed or did not validate against our published schema",
    );
  }
  const targets: NotificationTarget[] = [];
  for (const kind of KINDS) {
    for (const inner of elements(xml, `${kind}Configuration`)) {
      const arn = text(inner, kind);
      const events = elements(inner, "Event").map((event) => unescapeXml(event.trim()));
      if (!arn || events.length === 0) {
        throw new S3RequestError("MalformedXML", `A ${kind}Configuration needs a ${kind} and at least one Event`);
      }
      for (const event of events) {
        if (!EVENT_NAME.test(event))
          throw new S3RequestError("InvalidArgument", `The event is not supported for notifications`, 400, {
            name: "Event",
            value: event,
          });
      }
      const rules = elements(inner, "FilterRule").map((rule) => ({
        Name: text(rule, "Name") ?? "",
        Value: text(rule, "Value") ?? "",
      }));
      const seen = new Set<string>();
      for (const rule of rules) {
        const name = rule.Name.toLowerCase();
        if (name !== "prefix" && name !== "suffix") {
          throw new S3RequestError("InvalidArgument", "filter rule name must be either prefix or suffix", 400, {
            name: "FilterRule",
            value: rule.Name,
          });
        }
        if (seen.has(name)) {
          throw new S3RequestError("InvalidArgument", `Cannot specify more than one ${name} rule in a filter.`, 400, {
            name: "FilterRule",
            value: rule.Name,
          });
        }
        seen.add(name);
      }
      targets.push({ kind, id: text(inner, "Id") || randomUUID(), arn, events, rules });
    }
  }
  assertNoOverlap(targets);
  return { targets, eventBridge: elements(xml, "EventBridgeConfiguration").length > 0 };
}

function rule(target: NotificationTarget, name: "prefix" | "suffix"): string {
  return target.rules.find((r) => r.Name.toLowerCase() === name)?.Value ?? "";
}

function eventsOverlap(a: string, b: string): boolean {
  if (a === b) return true;
  const family = (event: string) => event.split(":").slice(0, 2).join(":");
  return family(a) === family(b) && (a.endsWith(":*") || b.endsWith(":*"));
}

/** S3 refuses two configurations that share an event type and whose key filters can match the same key. */
function assertNoOverlap(targets: NotificationTarget[]): void {
  for (let i = 0; i < targets.length; i++) {
    for (let j = i + 1; j < targets.length; j++) {
      const a = targets[i]!;
      const b = targets[j]!;
      const sharesEvent = a.events.some((x) => b.events.some((y) => eventsOverlap(x, y)));
      const [pa, pb, sa, sb] = [rule(a, "prefix"), rule(b, "prefix"), rule(a, "suffix"), rule(b, "suffix")];
      const prefixesOverlap = pa.startsWith(pb) || pb.startsWith(pa);
      const suffixesOverlap = sa.endsWith(sb) || sb.endsWith(sa);
      if (sharesEvent && prefixesOverlap && suffixesOverlap) {
        throw new S3RequestError(
          "InvalidArgument",
          "Configurations overlap. Configurations on the same bucket cannot share a common event type.",
        );
      }
    }
  }
}

/** The GetBucketNotificationConfiguration body. */
export function renderNotificationConfiguration(config: NotificationConfiguration | undefined): string {
  const parts = [`<?xml version="1.0" encoding="UTF-8"?>`, `<NotificationConfiguration xmlns="${XMLNS}">`];
  for (const target of config?.targets ?? []) {
    parts.push(
      `<${target.kind}Configuration>`,
      `<Id>${escapeXml(target.id)}</Id>`,
      `<${target.kind}>${escapeXml(target.arn)}</${target.kind}>`,
    );
    for (const event of target.events) parts.push(`<Event>${escapeXml(event)}</Event>`);
    if (target.rules.length > 0) {
      parts.push("<Filter><S3Key>");
      for (const r of target.rules)
        parts.push(`<FilterRule><Name>${escapeXml(r.Name)}</Name><Value>${escapeXml(r.Value)}</Value></FilterRule>`);
      parts.push("</S3Key></Filter>");
    }
    parts.push(`</${target.kind}Configuration>`);
  }
  if (config?.eventBridge) parts.push("<EventBridgeConfiguration/>");
  parts.push("</NotificationConfiguration>");
  return parts.join("");
}

/** True when a configured event (`s3:ObjectCreated:*`, `s3:ObjectCreated:Put`…) covers `eventName` (`ObjectCreated:Put`). */
export function eventMatches(configured: string, eventName: string): boolean {
  const wanted = configured.replace(/^s3:/, "");
  return wanted.endsWith(":*") ? eventName.startsWith(wanted.slice(0, -1)) : wanted === eventName;
}

export function keyMatches(target: NotificationTarget, key: string): boolean {
  return key.startsWith(rule(target, "prefix")) && key.endsWith(rule(target, "suffix"));
}

/** Keys in event messages are URL-encoded form-style (space as `+`), with `/` kept. */
export function encodeEventKey(key: string): string {
  return encodeURIComponent(key)
    .replace(/[!'()~]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%20/g, "+")
    .replace(/%2F/g, "/");
}

let sequence = 0;
/** Hex sequencer: grows with every event so consumers can order events on the same key. */
function nextSequencer(): string {
  sequence = (sequence + 1) % 0x1000;
  return (BigInt(Date.now()) * 0x1000n + BigInt(sequence)).toString(16).toUpperCase().padStart(18, "0");
}

/**
 * Bucket notification configurations and the messages they produce.
 *
 * @example
 * ```ts
 * const notifications = new S3Notifications({ region: "us-east-1", destinations });
 * await notifications.putConfiguration("media", xmlBody, "REQ1", "HOST1");
 * await notifications.objectCreated({ bucket: "media", key: "uploads/a.jpg", eventName: "ObjectCreated:Put", ... });
 * ```
 */
export class S3Notifications {
  readonly #byBucket = new Map<string, NotificationConfiguration>();
  readonly #region: string;
  readonly #destinations: NotificationDestinations;

  constructor(options: { region: string; destinations: NotificationDestinations }) {
    this.#region = options.region;
    this.#destinations = options.destinations;
  }

  async putConfiguration(bucket: string, xml: string, requestId: string, hostId: string): Promise<void> {
    const config = parseNotificationConfiguration(xml);
    for (const target of config.targets) {
      if (target.kind === "CloudFunction") continue; // no Lambda service to check against here
      if (!(await this.#destinations.exists(target.kind, target.arn))) {
        throw new S3RequestError(
          "InvalidArgument",
          "Unable to validate the following destination configurations",
          400,
          {
            name: target.arn,
            value: `The destination ${target.kind === "Queue" ? "queue" : "topic"} does not exist`,
          },
        );
      }
    }
    this.#byBucket.set(bucket, config);
    const testEvent = JSON.stringify({
      Service: "Amazon S3",
      Event: "s3:TestEvent",
      Time: new Date().toISOString(),
      Bucket: bucket,
      RequestId: requestId,
      HostId: hostId,
    });
    for (const target of config.targets) {
      if (target.kind !== "CloudFunction") await this.#destinations.deliver(target.kind, target.arn, testEvent);
    }
  }

  getConfiguration(bucket: string): NotificationConfiguration | undefined {
    return this.#byBucket.get(bucket);
  }

  /** A deleted bucket loses its configuration. */
  forgetBucket(bucket: string): void {
    this.#byBucket.delete(bucket);
  }

  /** The configurations an event on `key` would be sent to. */
  targetsFor(bucket: string, eventName: string, key: string): NotificationTarget[] {
    const config = this.#byBucket.get(bucket);
    if (!config) return [];
    return config.targets.filter(
      (target) => target.events.some((event) => eventMatches(event, eventName)) && keyMatches(target, key),
    );
  }

  async objectCreated(event: ObjectCreated): Promise<void> {
    const sequencer = nextSequencer();
    for (const target of this.targetsFor(event.bucket, event.eventName, event.key)) {
      if (target.kind === "CloudFunction") continue;
      const message = {
        Records: [
          {
            eventVersion: "2.1",
            eventSource: "aws:s3",
            awsRegion: this.#region,
            eventTime: new Date().toISOString(),
            eventName: event.eventName,
            userIdentity: { principalId: event.principalId },
            requestParameters: { sourceIPAddress: event.sourceIp },
            responseElements: { "x-amz-request-id": event.requestId, "x-amz-id-2": event.hostId },
            s3: {
              s3SchemaVersion: "1.0",
              configurationId: target.id,
              bucket: {
                name: event.bucket,
                ownerIdentity: { principalId: event.principalId },
                arn: `arn:aws:s3:::${event.bucket}`,
              },
              object: {
                key: encodeEventKey(event.key),
                size: event.size,
                eTag: event.eTag.replace(/"/g, ""),
                sequencer,
              },
            },
          },
        ],
      };
      await this.#destinations.deliver(target.kind, target.arn, JSON.stringify(message));
    }
  }
}

/** An S3-style request id (16 hex characters) and host id. */
export function newRequestIds(): { requestId: string; hostId: string } {
  return {
    requestId: randomBytes(8).toString("hex").toUpperCase(),
    hostId: randomBytes(48).toString("base64"),
  };
}
