/**
 * How many posts a second one thread takes with its order kept: writers post to one thread at once through the forums
 * store (each post is the thread's next number, committed under a condition on the last one, with its outbox item),
 * against the same writers putting posts with no order at all, side by side on the same DynamoDB Local. The ratio is
 * what one order per thread costs; the order itself is checked after the run (numbers 1…n, no gap, no repeat).
 */
import { PutCommand, QueryCommand } from "@aws-sdk/lib-dynamodb";
import { type BenchTable, benchTable } from "./dynamoLocal.js";

export interface ThreadPosts {
  readonly writers: number;
  readonly seconds: number;
  readonly orderedPerSecond: number;
  readonly unorderedPerSecond: number;
  readonly ratio: number;
  /** Posts refused with the 409 (the thread was busier than one writer at a time serves). */
  readonly refused: number;
}

const WRITERS = 8;
const SECONDS = 3;

async function forEachWriter(work: () => Promise<boolean>, deadline: number): Promise<{ ok: number; no: number }> {
  const counts = { ok: 0, no: 0 };
  await Promise.all(
    Array.from({ length: WRITERS }, async () => {
      while (Date.now() < deadline) {
        if (await work()) counts.ok++;
        else counts.no++;
      }
    }),
  );
  return counts;
}

async function seqsOf(table: BenchTable, threadId: string): Promise<number[]> {
  const seqs: number[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const out = await table.documents.send(
      new QueryCommand({
        TableName: table.name,
        KeyConditionExpression: "pk = :pk AND begins_with(sk, :post)",
        ExpressionAttributeValues: { ":pk": `THREAD#${threadId}`, ":post": "POST#" },
        ...(start ? { ExclusiveStartKey: start } : {}),
      }),
    );
    for (const item of out.Items ?? []) seqs.push(Number(item.seq));
    start = out.LastEvaluatedKey;
  } while (start);
  return seqs;
}

export async function threadPostRate(): Promise<ThreadPosts> {
  const table = await benchTable("ForumsTable");
  try {
    const { createForum } = await import("../services/forums/store/forums.js");
    const { createThread } = await import("../services/forums/store/threads.js");
    const { createPost } = await import("../services/forums/store/posts.js");
    const { HttpProblem } = await import("../shared/http/problem.js");
    const forum = await createForum("bench-owner", { name: "Bench", description: null });
    const thread = await createThread(forum.forumId, "bench-author", { title: "Busy", body: "A busy thread" });

    const ordered = await forEachWriter(
      async () => {
        try {
          await createPost(forum.forumId, thread.threadId, "bench-author", "a post");
          return true;
        } catch (error) {
          if (error instanceof HttpProblem && error.status === 409) return false;
          throw error;
        }
      },
      Date.now() + SECONDS * 1000,
    );

    let n = 0;
    const unordered = await forEachWriter(
      async () => {
        n++;
        await table.documents.send(
          new PutCommand({
            TableName: table.name,
            Item: { pk: "THREAD#unordered", sk: `POST#${n}-${Math.random()}`, body: "a post" },
          }),
        );
        return true;
      },
      Date.now() + SECONDS * 1000,
    );

    const seqs = (await seqsOf(table, thread.threadId)).sort((a, b) => a - b);
    const contiguous = seqs.every((seq, i) => seq === i + 1);
    if (seqs.length !== ordered.ok || !contiguous)
      throw new Error(`the thread's order broke: ${ordered.ok} accepted, numbers ${seqs.slice(0, 10).join(",")}…`);
    const orderedPerSecond = ordered.ok / SECONDS;
    const unorderedPerSecond = unordered.ok / SECONDS;
    return {
      writers: WRITERS,
      seconds: SECONDS,
      orderedPerSecond,
      unorderedPerSecond,
      ratio: orderedPerSecond / unorderedPerSecond,
      refused: ordered.no,
    };
  } finally {
    await table.stop();
  }
}
