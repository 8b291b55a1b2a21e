export { allOf } from "./allOf.js";
export { conditionInput } from "./conditionInput.js";
export type { CursorBinding, CursorKeyShape } from "./cursor.js";
export { decodeCursor, encodeCursor, MAX_CURSOR_LENGTH } from "./cursor.js";
export { IDEMPOTENCY_TABLE, idempotencyTableProblems } from "./idempotencyTableProblems.js";
export { isConditionFailure } from "./isConditionFailure.js";
export { mergedPage } from "./mergedPage.js";
export { pageQuery, pageQueryUpTo, wholeNumbersUpTo } from "./pageQuery.js";
export type {
  Checkpoint,
  ChunkPlan,
  CountChunk,
  Counted,
  CountedRecord,
  StreamCounter,
  StreamCounterOptions,
} from "./streamCounter.js";
export {
  checkpointAt,
  checkpointWrite,
  fingerprint,
  planChunks,
  RECENT_IDS,
  readCheckpoint,
  SEQUENCE_WIDTH,
  sequenceKey,
  streamCounter,
} from "./streamCounter.js";
export type { CountOnce, TableOptions } from "./Table.js";
export { DEFAULT_RETRY, Table } from "./Table.js";
export { tableOf } from "./tableOf.js";
export type {
  Condition,
  Key,
  Page,
  PageRequest,
  QuerySpec,
  RetryPolicy,
  TableRef,
  TransactItem,
  TransactOutcome,
  TransactWriteItem,
  UpdateSpec,
} from "./types.js";
export { updateInput } from "./updateInput.js";
