import { PutEventsCommand, type PutEventsRequestEntry } from "@aws-sdk/client-eventbridge";
import { eventBridgeClient } from "../aws/eventBridge.js";
import { eventSource } from "../events/resources.js";
import { positionalFailures } from "./batchFailures.js";
import { defineSender } from "./defineSender.js";
import { destinationFor } from "./destination.js";
import { eventBridgeEntrySize } from "./eventBridgeEntrySize.js";
import { limits } from "./limits.js";
import type { BatchEntry } from "./sendWithRetry.js";

interface BusEntry extends BatchEntry {
  readonly request: PutEventsRequestEntry;
}

/**
 * Puts events on the bus (`Bus`): `source` is `summit.<domain>` and `detail-type` the event type, so rules
 * match on either; `detail` is the envelope. `TraceHeader` links the rule targets' traces to this one.
 *
 * @example
 * ```ts
 * await toEventBridge(ProductCreated, outgoingEvents(ProductCreated, [payload]));
 * ```
 */
export const toEventBridge = defineSender({
  limits: limits.eventBridge,
  target: (contract, options) => ({
    bus: destinationFor(contract, "name", options.destination),
    client: options.clients?.eventBridge ?? eventBridgeClient(),
  }),
  entry({ envelope, body }, { bus }, contract): BusEntry {
    const request: PutEventsRequestEntry = {
      EventBusName: bus,
      Source: eventSource(contract),
      DetailType: contract.type,
      Detail: body,
      // The event's time on the bus is the envelope's, so rules and archives agree with consumers.
      Time: new Date(envelope.time),
      ...(envelope.traceHeader ? { TraceHeader: envelope.traceHeader } : {}),
    };
    return { eventId: envelope.id, type: envelope.type, size: eventBridgeEntrySize(request), request };
  },
  async send(chunk, { client }) {
    const output = await client.send(new PutEventsCommand({ Entries: chunk.map((entry) => entry.request) }));
    return positionalFailures(chunk, {
      failedCount: output.FailedEntryCount,
      results: output.Entries,
      idOf: (result) => result.EventId,
    });
  },
});
