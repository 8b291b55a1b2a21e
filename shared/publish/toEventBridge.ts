import { PutEventsCommand, type PutEventsRequestEntry } from "@aws-sdk/client-eventbridge";
import { eventBridgeClient } from "../aws/eventBridge.js";
import type { EventContract } from "../events/defineEvent.js";
import { destinationFor } from "./destination.js";
import { eventBridgeEntrySize } from "./eventBridgeEntrySize.js";
import { limits } from "./limits.js";
import type { PublishOptions } from "./options.js";
import type { OutgoingEvent } from "./outgoing.js";
import { refuseOversized } from "./refuseOversized.js";
import { type BatchEntry, type EntryFailure, sendWithRetry } from "./sendWithRetry.js";
import { throwIfFailed } from "./throwIfFailed.js";

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
export async function toEventBridge(
  contract: EventContract,
  events: readonly OutgoingEvent[],
  options: PublishOptions = {},
): Promise<void> {
  const bus = destinationFor(contract, "name", options.destination);
  const client = options.clients?.eventBridge ?? eventBridgeClient();
  const entries = events.map(({ envelope, body }): BusEntry => {
    const request: PutEventsRequestEntry = {
      EventBusName: bus,
      Source: `summit.${contract.domain}`,
      DetailType: contract.type,
      Detail: body,
      // The event's time on the bus is the envelope's, so rules and archives agree with consumers.
      Time: new Date(envelope.time),
      ...(envelope.traceHeader ? { TraceHeader: envelope.traceHeader } : {}),
    };
    return { eventId: envelope.id, type: envelope.type, size: eventBridgeEntrySize(request), request };
  });
  refuseOversized(entries, limits.eventBridge.maxEntryBytes);

  const failures = await sendWithRetry(
    entries,
    {
      limits: limits.eventBridge,
      async send(chunk) {
        const output = await client.send(new PutEventsCommand({ Entries: chunk.map((entry) => entry.request) }));
        if (!output.FailedEntryCount) return [];
        // Results are positional: the i-th result is the i-th entry's.
        return chunk.flatMap((entry, i): EntryFailure<BusEntry>[] => {
          const result = output.Entries?.[i];
          if (result?.EventId && !result.ErrorCode) return [];
          return [
            {
              entry,
              code: result?.ErrorCode ?? "MissingResult",
              message: result?.ErrorMessage ?? "no result for this entry",
              retryable: true,
            },
          ];
        });
      },
    },
    options.retry,
  );
  throwIfFailed(entries, failures);
}
