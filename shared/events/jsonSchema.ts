import { toJsonSchema } from "@valibot/to-json-schema";
import type { EventContract } from "./defineEvent.js";

/**
 * The JSON Schema (draft-07) of a contract's payload, with the contract's facts as annotations: what the docs
 * print and what an EventBridge schema registry (JSONSchemaDraft4-compatible content) stores.
 * Docs-time only: handlers validate with the valibot schema itself and never load this module.
 *
 * @example
 * ```ts
 * eventJsonSchema(PostCreated).title; // "forums.PostCreated"
 * ```
 */
export function eventJsonSchema(contract: EventContract): Record<string, unknown> {
  // errorMode "throw": a schema with an action that has no JSON Schema equivalent must be noticed, not dropped.
  const payload = toJsonSchema(contract.schema, { errorMode: "throw" }) as Record<string, unknown>;
  return {
    ...payload,
    title: contract.type,
    description: contract.description,
    "x-summit": {
      version: contract.version,
      producer: contract.domain,
      transport: contract.transport,
      reason: contract.reason,
      needs: contract.needs,
      ...(contract.partitionKey ? { partitionKey: contract.partitionKey } : {}),
      ...(contract.attributes.length > 0 ? { attributes: contract.attributes } : {}),
    },
  };
}
