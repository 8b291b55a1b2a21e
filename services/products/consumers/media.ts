import { MediaProcessed } from "../../../events/media.js";
import { onSns } from "../../../shared/consume/index.js";
import { logger } from "../../../shared/logging/index.js";
import { withoutImage } from "../store/catalog.js";
import { getMedia, productsShowing, recordMedia } from "../store/media.js";

/**
 * `media.MediaProcessed` (SNS): keeps the media items a product may show. Recording is idempotent, and an older event
 * arriving after a newer one for the same item changes nothing. A `failed` item leaves every product showing it
 * (found through its `USEDBY#` marks, not a scan), each through a versioned update with `products.ProductUpdated`.
 * A redelivery after a crash part-way through the sweep finds the item already `failed` and sweeps again; a product
 * already without the image is left alone.
 */
export const handler = onSns(MediaProcessed, async (media) => {
  const recorded = await recordMedia(media);
  if (!recorded) logger.info("media item already recorded", { mediaId: media.mediaId });
  if (media.status !== "failed") return;
  // Not recorded: a redelivery (sweep again) or an older event after a newer one (the item as it is now decides).
  if (!recorded && (await getMedia(media.mediaId, true))?.status !== "failed") return;
  for (const productId of await productsShowing(media.mediaId)) {
    const removed = await withoutImage(productId, media.mediaId);
    if (removed) logger.info("a failed image left a product", { mediaId: media.mediaId, productId });
  }
});
