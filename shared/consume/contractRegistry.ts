import type { EventContract } from "../events/defineEvent.js";
import type { Contracts } from "./types.js";

/**
 * The consumer's contracts by event type, built once when the handler is created (not per record). Two
 * contracts of one type are refused: a record could not tell which one it is.
 *
 * @example
 * ```ts
 * contractRegistry([PostCreated, ThreadCreated]).get("forums.PostCreated"); // PostCreated
 * ```
 */
export function contractRegistry(contracts: Contracts): ReadonlyMap<string, EventContract> {
  const list: readonly EventContract[] = Array.isArray(contracts) ? contracts : [contracts as EventContract];
  if (list.length === 0) throw new Error("a consumer needs at least one contract");
  const registry = new Map<string, EventContract>();
  for (const contract of list) {
    if (registry.has(contract.type)) throw new Error(`${contract.type} is listed twice`);
    registry.set(contract.type, contract);
  }
  return registry;
}
