/**
 * The worker's limits, in one place so the checks, the tests and the service's consumer declaration agree.
 */

/**
 * Decoded pixels an upload may have (width × height). 40 MP is a 7 296 × 5 472 photo, more than any phone camera
 * gives; at 4 bytes a pixel it is 160 MB decoded, which a 1 GB worker holds. A PNG of this size can be a 150 KB file
 * (a decompression bomb): the check reads the header only, before anything is decoded.
 */
export const MAX_INPUT_PIXELS = 40_000_000;

/** The thumbnail's longest side, in pixels (api-contract: "longest side 256 px"). */
export const THUMBNAIL_LONGEST_SIDE = 256;

/**
 * Bytes read past the item's declared `contentLength` before the object counts as too large. The presigned PUT
 * binds the length, so a correct upload is exactly `contentLength`; the margin only tolerates nothing else.
 */
export const READ_MARGIN_BYTES = 1_024;

/**
 * Attempts after the first before SQS moves an `UploadReceived` message to the DLQ. The service's worker consumer
 * must declare `retries: WORKER_RETRIES` so that the queue's `maxReceiveCount` is `WORKER_RETRIES + 1`: the worker
 * marks the item failed on that last receive instead of leaving it pending behind the DLQ.
 */
export const WORKER_RETRIES = 2;
export const WORKER_MAX_RECEIVE_COUNT = WORKER_RETRIES + 1;
