import type { EntryFailure } from "./sendWithRetry.js";

/** The result lists PublishBatch and SendMessageBatch share. */
export interface BatchResultLists {
  readonly Successful?: readonly { readonly Id?: string | undefined }[] | undefined;
  readonly Failed?:
    | readonly {
        readonly Id?: string | undefined;
        readonly Code?: string | undefined;
        readonly Message?: string | undefined;
        readonly SenderFault?: boolean | undefined;
      }[]
    | undefined;
}

/** The error fields PutEvents and PutRecords results share. */
export interface PositionalResult {
  readonly ErrorCode?: string | undefined;
  readonly ErrorMessage?: string | undefined;
}

/** An entry's failure as the answer gives it; an entry the answer says nothing about is failed all the same. */
function entryFailure<E>(
  entry: E,
  result: { readonly code?: string | undefined; readonly message?: string | undefined } | undefined,
  retryable: boolean,
): EntryFailure<E> {
  return {
    entry,
    code: result?.code ?? "MissingResult",
    message: result?.message ?? "no result for this entry",
    retryable,
  };
}

/**
 * The failed entries of a PublishBatch or SendMessageBatch answer, matched by batch entry id (the event id).
 * `SenderFault` means the request itself is wrong, so sending it again cannot help; an entry the answer does
 * not mention at all is treated as failed (never assume it got out).
 *
 * @example
 * ```ts
 * batchFailures(chunk, await sqs.send(new SendMessageBatchCommand(input)));
 * ```
 */
export function batchFailures<E extends { readonly eventId: string }>(
  chunk: readonly E[],
  output: BatchResultLists,
): EntryFailure<E>[] {
  const succeeded = new Set((output.Successful ?? []).map((result) => result.Id));
  const failed = new Map((output.Failed ?? []).map((result) => [result.Id, result]));
  return chunk.flatMap((entry): EntryFailure<E>[] => {
    if (succeeded.has(entry.eventId)) return [];
    const result = failed.get(entry.eventId);
    return [
      entryFailure(entry, result && { code: result.Code, message: result.Message }, result?.SenderFault !== true),
    ];
  });
}

/**
 * The failed entries of a PutEvents or PutRecords answer. Results are positional: the i-th result is the i-th
 * entry's, and it got out when it carries the id `idOf` reads (the event id, the sequence number) and no
 * `ErrorCode`. A missing result counts as failed. These APIs fail an entry for throttling or an internal error,
 * so every failure may be sent again. An answer that counts no failures is taken at its word.
 *
 * @example
 * ```ts
 * const output = await kinesis.send(new PutRecordsCommand(input));
 * positionalFailures(chunk, { failedCount: output.FailedRecordCount, results: output.Records, idOf: (r) => r.SequenceNumber });
 * ```
 */
export function positionalFailures<E, R extends PositionalResult>(
  chunk: readonly E[],
  answer: {
    readonly failedCount: number | undefined;
    readonly results: readonly R[] | undefined;
    readonly idOf: (result: R) => string | undefined;
  },
): EntryFailure<E>[] {
  if (!answer.failedCount) return [];
  return chunk.flatMap((entry, i): EntryFailure<E>[] => {
    const result = answer.results?.[i];
    if (result && answer.idOf(result) && !result.ErrorCode) return [];
    return [entryFailure(entry, result && { code: result.ErrorCode, message: result.ErrorMessage }, true)];
  });
}
