import * as v from "valibot";
import { defineEvent } from "../shared/events/defineEvent.js";
import { needs } from "../shared/routing/index.js";
import { displayName, id, isoTime, url } from "./fields.js";

export const UserRegistered = defineEvent({
  domain: "users",
  name: "UserRegistered",
  version: 1,
  description: "A user signed up; their public profile exists from now on.",
  schema: v.object({ userId: id, email: v.pipe(v.string(), v.email()), displayName, createdAt: isoTime }),
  needs: needs({ fanOut: "many", contentRules: true }),
});

export const UserProfileUpdated = defineEvent({
  domain: "users",
  name: "UserProfileUpdated",
  version: 1,
  description: "A user changed their profile; readers that copy the display name or avatar follow it.",
  schema: v.object({
    userId: id,
    displayName,
    avatar: v.nullable(v.object({ mediaId: id, url, thumbnailUrl: url })),
    changed: v.array(v.picklist(["displayName", "bio", "avatar"])),
    updatedAt: isoTime,
  }),
  needs: needs({ fanOut: "many", contentRules: true }),
});
