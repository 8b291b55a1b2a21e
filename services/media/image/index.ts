/**
 * The worker's image checks: magic numbers (`magic.ts`), the limits (`limits.ts`), thumbnail sizing (`sizing.ts`),
 * all pure; and the decode with sharp that applies them (`decode.ts`).
 */
export type { Decoded, Thumbnail } from "./decode.js";
export { decodeUpload } from "./decode.js";
export {
  MAX_INPUT_PIXELS,
  READ_MARGIN_BYTES,
  THUMBNAIL_LONGEST_SIDE,
  WORKER_MAX_RECEIVE_COUNT,
  WORKER_RETRIES,
} from "./limits.js";
export type { ImageType } from "./magic.js";
export { matchesClaimedType, sniffImageType, typeName } from "./magic.js";
export type { Size } from "./sizing.js";
export { exceedsPixelLimit, thumbnailSize } from "./sizing.js";
