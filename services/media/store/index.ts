/**
 * The media store, as the worker and the routes use it. The presigned upload (`uploads.ts`) is imported on its own
 * by the upload route: the worker's bundle does not carry the presigner.
 */
export { keys, mediaIdOf, objectKeys } from "./keys.js";
export {
  createPending,
  getMedia,
  type ImageContentType,
  type MediaItem,
  type MediaPurpose,
  type MediaStatus,
  markFailed,
  markReady,
  mediaTable,
  newMediaId,
  publicUrl,
  type ReadyMedia,
  toMedia,
} from "./media.js";
