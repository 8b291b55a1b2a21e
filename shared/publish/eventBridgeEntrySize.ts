import type { PutEventsRequestEntry } from "@aws-sdk/client-eventbridge";
import { utf8Bytes } from "./chunkBySize.js";

/**
 * The size of a PutEvents entry as EventBridge counts it ("Calculating PutEvents event entry size"):
 * 14 bytes for `Time` if set, plus the UTF-8 bytes of `Source`, `DetailType`, `Detail` and each `Resources`
 * entry. `TraceHeader` and `EventBusName` do not count.
 *
 * @example
 * ```ts
 * eventBridgeEntrySize({ Source: "summit.forums", DetailType: "forums.PostCreated", Detail: "{}" }); // 13 + 18 + 2
 * ```
 */
export function eventBridgeEntrySize(entry: PutEventsRequestEntry): number {
  let size = entry.Time ? 14 : 0;
  size += utf8Bytes(entry.Source ?? "") + utf8Bytes(entry.DetailType ?? "");
  if (entry.Detail) size += utf8Bytes(entry.Detail);
  for (const arn of entry.Resources ?? []) size += utf8Bytes(arn);
  return size;
}
