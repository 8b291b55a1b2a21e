import * as v from "valibot";
import { id, imageContentType, isoTime, mediaPurpose, url } from "../../events/fields.js";
import { defineRoute } from "../../shared/topology/defineService.js";

/**
 * The media rows of the HTTP contract: each route's schemas, status and auth, written once. The bytes never pass
 * through the API: `POST /media/uploads` hands out a presigned S3 PUT, and the worker decides what they are.
 */

const ROUTES = "services/media/routes";

/** The largest upload: 10 MiB. */
export const MAX_UPLOAD_BYTES = 10 * 1024 * 1024;

/** The contract's messages for the two fields whose violations are not a 400 (see `routes/createUpload.ts`). */
export const UNSUPPORTED_TYPE = "must be image/jpeg, image/png or image/webp";
export const TOO_LARGE = `must be at most ${MAX_UPLOAD_BYTES} bytes (10 MiB)`;

export const uploadBody = v.strictObject(
  {
    contentType: v.picklist(imageContentType.options, UNSUPPORTED_TYPE),
    contentLength: v.pipe(
      v.number(),
      v.integer("must be a whole number of bytes"),
      v.minValue(1, "must be at least 1 byte"),
      v.maxValue(MAX_UPLOAD_BYTES, TOO_LARGE),
    ),
    purpose: mediaPurpose,
  },
  "must be an object with only contentType, contentLength and purpose",
);

export const upload = v.object({
  mediaId: id,
  uploadUrl: url,
  uploadMethod: v.literal("PUT"),
  uploadHeaders: v.object({ "content-type": imageContentType, "content-length": v.pipe(v.string(), v.digits()) }),
  expiresAt: isoTime,
});

export const media = v.object({
  mediaId: id,
  ownerId: id,
  purpose: mediaPurpose,
  status: v.picklist(["pending", "ready", "failed"]),
  contentType: imageContentType,
  width: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1))),
  height: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1))),
  url: v.optional(url),
  thumbnailUrl: v.optional(url),
  failureReason: v.optional(v.string()),
  createdAt: isoTime,
});
export type Media = v.InferOutput<typeof media>;
export type Upload = v.InferOutput<typeof upload>;

export const createUploadRoute = defineRoute({
  method: "POST",
  path: "/uploads",
  auth: true,
  links: ["MediaTable", "MediaBucket"],
  handler: `${ROUTES}/createUpload.handler`,
  summary: "Start an upload: a pending media item and a presigned S3 PUT bound to its type and exact length",
  schemas: { body: uploadBody, response: upload },
  successStatus: 201,
  // 413: contentLength over 10 MiB; 415: a contentType that is not jpeg, png or webp.
  errors: [400, 401, 413, 415],
  idempotency: { table: "MediaTable" },
});

export const getMediaRoute = defineRoute({
  method: "GET",
  path: "/{mediaId}",
  auth: false,
  links: ["MediaTable"],
  handler: `${ROUTES}/getMedia.handler`,
  summary: "A media item: pending until the worker decides, then ready (size, URLs) or failed (reason)",
  schemas: { path: v.object({ mediaId: id }), response: media },
  errors: [404],
});

export const mediaRoutes = [createUploadRoute, getMediaRoute];
