import { MediaProcessed } from "../../../events/media.js";
import { onSns } from "../../../shared/consume/index.js";
import { logger } from "../../../shared/logging/index.js";
import { recordMedia } from "../store.js";

/**
 * `media.MediaProcessed` (SNS): keeps the media items a profile may take as its avatar. Recording is idempotent, and
 * an older event arriving after a newer one for the same item changes nothing.
 */
export const handler = onSns(MediaProcessed, async (media) => {
  const recorded = await recordMedia({
    mediaId: media.mediaId,
    ownerId: media.ownerId,
    status: media.status,
    purpose: media.purpose,
    contentType: media.contentType,
    processedAt: media.processedAt,
    ...(media.url ? { url: media.url } : {}),
    ...(media.thumbnailUrl ? { thumbnailUrl: media.thumbnailUrl } : {}),
  });
  if (!recorded) logger.info("media item already recorded", { mediaId: media.mediaId });
});
