import { conflict, forbidden, notFound } from "../../../shared/http/problem.js";
import { routeHandler } from "../../../shared/http/routeHandler.js";
import { type Avatar, updateMeRoute } from "../api.js";
import { getMedia, getProfile, type ProfileChange, toProfile, updateProfile } from "../store.js";

/** Concurrent updates of one profile: re-read and re-apply this many times before answering 409. */
const ATTEMPTS = 3;

type Changed = "displayName" | "bio" | "avatar";

/**
 * `PATCH /users/me`: only the fields whose value changes are written (under optimistic concurrency on the
 * profile's version) and named in `users.UserProfileUpdated`, committed with the update. An avatar must be one of the caller's own media
 * items that this service has seen processed `ready`.
 */
export const handler = routeHandler(updateMeRoute, {
  handler: async ({ body, auth }) => {
    const avatar = body.avatarMediaId === undefined ? undefined : await avatarFor(body.avatarMediaId, auth.userId);
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      const current = await getProfile(auth.userId, true);
      if (!current) throw notFound("there is no profile for this identity");
      const change: { -readonly [K in keyof ProfileChange]: ProfileChange[K] } = {};
      const changed: Changed[] = [];
      if (body.displayName !== undefined && body.displayName !== current.displayName) {
        change.displayName = body.displayName;
        changed.push("displayName");
      }
      if (body.bio !== undefined && body.bio !== current.bio) {
        change.bio = body.bio;
        changed.push("bio");
      }
      if (avatar !== undefined && avatar?.mediaId !== current.avatar?.mediaId) {
        change.avatar = avatar;
        changed.push("avatar");
      }
      if (changed.length === 0) return toProfile(current);

      // The update and its event commit together (the outbox): neither is ever there without the other.
      const updated = await updateProfile(current, change, changed, new Date().toISOString());
      if (updated) return toProfile(updated);
    }
    throw conflict("the profile changed while this update was applied; read it and try again");
  },
});

/** `null` removes the avatar; an id must name the caller's own media item, processed and ready. */
async function avatarFor(mediaId: string | null, userId: string): Promise<Avatar | null> {
  if (mediaId === null) return null;
  const media = await getMedia(mediaId);
  if (!media || media.ownerId !== userId) throw forbidden(`media ${mediaId} is not one of your ready images`);
  if (media.status !== "ready" || !media.url || !media.thumbnailUrl)
    throw forbidden(`media ${mediaId} is not a ready image`);
  return { mediaId, url: media.url, thumbnailUrl: media.thumbnailUrl };
}
