import { randomUUID } from "node:crypto";
import * as v from "valibot";
import { currentCorrelationId } from "../context/index.js";
import type { EventContract } from "../events/defineEvent.js";
import type { Envelope } from "../events/envelope.js";
import { currentTraceHeader } from "../tracing/index.js";
import { type PayloadIssue, PublishValidationError } from "./errors.js";
import type { OutgoingEvent } from "./outgoing.js";

/**
 * Validates every payload against the contract, then wraps each in the envelope. Nothing is built (and so
 * nothing leaves) unless all payloads are valid: a batch is refused whole, with every issue of every payload.
 *
 * @example
 * ```ts
 * const [event] = outgoingEvents(PostCreated, [{ postId, threadId, forumId, authorId, createdAt }]);
 * event.envelope.producer; // "forums"
 * ```
 */
export function outgoingEvents(
  contract: EventContract,
  payloads: readonly unknown[],
  options: { readonly correlationId?: string } = {},
): OutgoingEvent[] {
  const issues: PayloadIssue[] = [];
  const outputs: unknown[] = [];
  payloads.forEach((payload, index) => {
    const result = v.safeParse(contract.schema, payload);
    if (result.success) outputs.push(result.output);
    else {
      for (const issue of result.issues) {
        issues.push({ index, path: v.getDotPath(issue) ?? "(root)", message: issue.message });
      }
    }
  });
  if (issues.length > 0) throw new PublishValidationError(contract.type, issues);

  const correlationId = options.correlationId ?? currentCorrelationId() ?? randomUUID();
  const traceHeader = currentTraceHeader();
  const time = new Date().toISOString();
  return outputs.map((data) => {
    const envelope: Envelope = {
      id: randomUUID(),
      type: contract.type,
      version: contract.version,
      time,
      producer: contract.domain,
      correlationId,
      ...(traceHeader ? { traceHeader } : {}),
      data,
    };
    return { envelope, body: JSON.stringify(envelope), payload: asRecord(data) };
  });
}

function asRecord(data: unknown): Readonly<Record<string, unknown>> {
  return typeof data === "object" && data !== null ? (data as Record<string, unknown>) : {};
}
