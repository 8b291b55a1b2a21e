import type { Context } from "aws-lambda";
import { runWithInvocation } from "../context/index.js";
import { logger } from "../logging/index.js";
import { emitMetric, pipelineMetrics } from "../metrics/index.js";
import { contractRegistry } from "./contractRegistry.js";
import { decodeEvent, type PoisonCode, PoisonError } from "./decodeEvent.js";
import { type FailureDestination, failureQueue } from "./failureQueue.js";
import { traceRecord } from "./traceRecord.js";
import type { ConsumerOptions, Contracts, EventHandler, RecordSource } from "./types.js";

/** One record of a Lambda event, unwrapped from its transport's shape. */
export interface IncomingRecord {
  readonly source: RecordSource;
  /** The SQS message id, the Kinesis sequence number, the SNS message id or the EventBridge event id. */
  readonly recordId: string;
  /** The envelope inside the transport's wrapping: parsed already, or JSON text. */
  readonly envelope: unknown;
  /** The record as it arrived, kept for the failure queue. */
  readonly original: () => { readonly body: string; readonly encoding: "text" | "base64" };
}

/**
 * - `handled`: the handler succeeded, or the record was poison and is now in the failure queue.
 * - `failed`: the handler threw (or the failure queue could not take a poison record): the platform retries it.
 */
export type RecordOutcome = { readonly status: "handled" } | { readonly status: "failed"; readonly error: unknown };

export type ConsumeRecord = (
  record: IncomingRecord,
  context: Context,
  options?: { readonly concurrent?: boolean },
) => Promise<RecordOutcome>;

/**
 * The per-record pipeline every transport's consumer shares: decode (JSON → envelope frame → contract and
 * version → payload), then either send a poison record to the failure queue with its reason, or run the
 * handler with the envelope's correlation id set (logger `correlation_id`, invocation context) inside a
 * subsegment linked to the producer's trace. Each poison record the failure queue took counts once in `EventsToDlq`,
 * by event type. Contracts and the failure queue are resolved once, here.
 *
 * @example
 * ```ts
 * const consume = recordConsumer(PostCreated, handler, {});
 * const outcome = await consume({ source: "kinesis", recordId, envelope: text, original }, context);
 * ```
 */
export function recordConsumer<const Cs extends Contracts>(
  contracts: Cs,
  handler: EventHandler<Cs>,
  options: ConsumerOptions & { readonly failureDestination?: FailureDestination } = {},
): ConsumeRecord {
  const registry = contractRegistry(contracts);
  const toFailureQueue =
    options.failureDestination ??
    failureQueue({
      ...(options.failureQueueUrl ? { failureQueueUrl: options.failureQueueUrl } : {}),
      ...(options.clients?.sqs ? { sqs: options.clients.sqs } : {}),
    });
  const handle = handler as (payload: unknown, envelope: unknown, context: Context) => Promise<void> | void;

  return async function consumeRecord(record, context, { concurrent = false } = {}) {
    const at = { source: record.source, recordId: record.recordId };
    const refuse = async (poison: {
      code: PoisonCode;
      message: string;
      eventType?: string | undefined;
    }): Promise<RecordOutcome> => {
      const reason = {
        code: poison.code,
        message: poison.message,
        ...(poison.eventType ? { eventType: poison.eventType } : {}),
      };
      try {
        await toFailureQueue({ ...record.original(), ...reason, ...at });
        // Counted once the failure queue holds it: a record the queue refused is retried, not counted.
        emitMetric(pipelineMetrics, "EventsToDlq", 1, { eventType: reason.eventType ?? "unknown" });
        // `message` is the logger's own key: the reason goes under `reason`.
        const logged = { ...at, code: reason.code, reason: reason.message, eventType: reason.eventType };
        logger.warn("poison record sent to the failure queue", logged);
        return { status: "handled" };
      } catch (error) {
        // Never drop a record: if the failure queue cannot take it, the platform must retry it.
        logger.error("failure queue refused a poison record; reporting it as failed", {
          ...at,
          code: reason.code,
          reason: reason.message,
          error,
        });
        return { status: "failed", error };
      }
    };
    const decoded = decodeEvent(registry, record.envelope);
    if (!decoded.ok) return refuse(decoded);

    const { envelope, payload } = decoded;
    const correlationId = envelope.correlationId;
    // The shared logger's keys are one per sandbox: records running concurrently log through a child instead.
    const log = concurrent ? logger.createChild({ persistentKeys: { correlation_id: correlationId } }) : logger;
    if (!concurrent) logger.appendKeys({ correlation_id: correlationId });
    const event = { ...at, eventId: envelope.id, eventType: envelope.type, producer: envelope.producer };
    try {
      await runWithInvocation({ correlationId }, () =>
        traceRecord(envelope, record.source, async () => {
          log.info("event received", event);
          await handle(payload, envelope, context);
        }),
      );
      return { status: "handled" };
    } catch (error) {
      if (error instanceof PoisonError) {
        // The handler found the record can never succeed: it goes where the decoder's poison goes, with the reason.
        return refuse({ code: error.code, message: error.message, eventType: envelope.type });
      }
      log.error("event handler failed; the record will be retried", { ...event, error });
      return { status: "failed", error };
    } finally {
      if (!concurrent) logger.removeKeys(["correlation_id"]);
    }
  };
}
