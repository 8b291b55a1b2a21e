import { notFound } from "../../../shared/http/problem.js";
import { routeHandler } from "../../../shared/http/routeHandler.js";
import { getMediaRoute } from "../api.js";
import { settledMedia, toMedia } from "../store/media.js";

/**
 * `GET /media/{mediaId}`: the item as `Media` (pending, ready with its size and URLs, or failed with a reason). An
 * item whose upload never came is failed when read after its URL expired, so nothing reads as pending forever.
 */
export const handler = routeHandler(getMediaRoute, {
  handler: async ({ path }) => {
    const item = await settledMedia(path.mediaId);
    if (!item) throw notFound(`media ${path.mediaId} does not exist`);
    return toMedia(item);
  },
});
