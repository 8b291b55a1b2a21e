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
      {
        entry,
        code: result?.Code ?? "MissingResult",
        message: result?.Message ?? "no result for this entry",
        retryable: result?.SenderFault !== true,
      },
    ];
  });
}
