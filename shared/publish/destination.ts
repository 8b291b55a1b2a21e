import { resource } from "../config.js";
import type { EventContract } from "../events/defineEvent.js";
import { resourceNameFor } from "../events/resources.js";

/**
 * Where a contract's events go: the override when given (tests), else the field the transport addresses its
 * linked resource by (the bus and stream by `name`, the topic by `arn`, the queue by `url`).
 *
 * @example
 * ```ts
 * destinationFor(UploadReceived, "url"); // SST_RESOURCE_MediaUploadReceivedQueue's url
 * ```
 */
export function destinationFor(
  contract: Pick<EventContract, "transport" | "domain" | "name">,
  field: "name" | "arn" | "url",
  override?: string,
): string {
  if (override) return override;
  const name = resourceNameFor(contract);
  const value = resource(name)[field];
  if (typeof value !== "string" || value === "") throw new Error(`resource "${name}" has no ${field}`);
  return value;
}
