import { UserProfileUpdated, UserRegistered } from "../../../events/users.js";
import { onEventBridge } from "../../../shared/consume/index.js";
import { logger } from "../../../shared/logging/index.js";
import { recordAuthorName } from "../store/directory.js";

/**
 * The author directory from the users events: a registration names the author, a profile update renames them. An
 * event older than the name the directory holds (late, or delivered again) changes nothing (`store/directory.ts`).
 */
export const handler = onEventBridge([UserRegistered, UserProfileUpdated], async (payload, envelope) => {
  const name =
    envelope.type === UserRegistered.type
      ? { at: envelope.data.createdAt, by: "registered" as const }
      : { at: envelope.data.updatedAt, by: "updated" as const };
  const written = await recordAuthorName({
    userId: payload.userId,
    displayName: payload.displayName,
    eventId: envelope.id,
    ...name,
  });
  if (!written) logger.info("author name older than the directory's; kept the newer", { userId: payload.userId });
});
