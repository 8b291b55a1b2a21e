import * as v from "valibot";
import { defineEvent } from "../shared/events/defineEvent.js";
import { needs } from "../shared/routing/index.js";
import { id, imageContentType, isoTime, mediaPurpose, url } from "./fields.js";

export const UploadReceived = defineEvent({
  domain: "media",
  name: "UploadReceived",
  version: 1,
  description: "Bytes arrived for a pending media item; the worker checks them and writes the thumbnail.",
  schema: v.object({
    mediaId: id,
    bucket: v.pipe(v.string(), v.minLength(3)),
    key: v.pipe(v.string(), v.minLength(1)),
    size: v.pipe(v.number(), v.integer(), v.minValue(0)),
    receivedAt: isoTime,
  }),
  needs: needs({ buffering: true }),
});

export const MediaProcessed = defineEvent({
  domain: "media",
  name: "MediaProcessed",
  version: 1,
  description: "A media item finished processing: ready with its URLs, or failed with a reason.",
  schema: v.object({
    mediaId: id,
    ownerId: id,
    purpose: mediaPurpose,
    status: v.picklist(["ready", "failed"]),
    contentType: imageContentType,
    width: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1))),
    height: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1))),
    url: v.optional(url),
    thumbnailUrl: v.optional(url),
    failureReason: v.optional(v.string()),
    processedAt: isoTime,
  }),
  needs: needs({ fanOut: "few" }),
  attributes: ["purpose", "status", "ownerId"],
});
