import { UserProfileUpdated } from "../../events/users.js";
import { type Condition, tableOf } from "../../shared/data/index.js";
import { outboxEvent, writeWithEvents } from "../../shared/outbox/index.js";
import type { Avatar, Profile, PublicProfile } from "./api.js";
import users from "./service.js";

/**
 * The users table, one item per fact (single-table design, string keys `pk`/`sk`):
 *
 * | pk | sk | what |
 * |---|---|---|
 * | `USER#<userId>` | `PROFILE` | the profile, with `version` for optimistic updates |
 * | `USER#<userId>` | `STATS` | `threads`, `posts`, counted from forum events |
 * | `EMAIL#<email>` | `EMAIL` | the email's claim: `pending` (a sign-up holds it until `leaseExpiresAt`) or `active` |
 * | `MEDIA#<mediaId>` | `MEDIA` | a processed media item (owner, status, URLs): what an avatar may be |
 * | `COUNTED#<kind>#<id>` | `COUNTED` | a thread or post already counted, so a redelivery is not counted again |
 * | `<idempotency key>` | `IDEMPOTENCY` | the HTTP layer's idempotency records (`expiresAt` TTL) |
 * | `OUTBOX#<userId>` | `<time>#<eventId>` | an event committed with the write that caused it (`shared/outbox`) |
 */
export const keys = {
  profile: (userId: string) => ({ pk: `USER#${userId}`, sk: "PROFILE" }),
  stats: (userId: string) => ({ pk: `USER#${userId}`, sk: "STATS" }),
  email: (email: string) => ({ pk: `EMAIL#${email}`, sk: "EMAIL" }),
  media: (mediaId: string) => ({ pk: `MEDIA#${mediaId}`, sk: "MEDIA" }),
  counted: (kind: "thread" | "post", entityId: string) => ({ pk: `COUNTED#${kind}#${entityId}`, sk: "COUNTED" }),
} as const;

/** Items of several shapes share the table (the key says which); each read names the shape it expects. */
export const usersTable = tableOf<object>("UsersTable", users.tables.UsersTable);

/** The item does not exist yet (a put that must not overwrite). */
export const absent: Condition = { expression: "attribute_not_exists(pk)" };

export interface ProfileItem extends Profile {
  readonly version: number;
}

export interface EmailClaim {
  readonly email: string;
  readonly state: "pending" | "active";
  readonly claimId: string;
  readonly userId?: string;
  readonly leaseExpiresAt?: number;
}

export interface MediaItem {
  readonly mediaId: string;
  readonly ownerId: string;
  readonly status: "ready" | "failed";
  readonly purpose: string;
  readonly contentType: string;
  readonly url?: string;
  readonly thumbnailUrl?: string;
  readonly processedAt: string;
}

const PROFILE_FIELDS = ["userId", "email", "displayName", "bio", "avatar", "createdAt", "updatedAt"] as const;

/** The API's `Profile` from the stored item (only the contract's fields). */
export function toProfile(item: ProfileItem): Profile {
  const out: Record<string, unknown> = {};
  for (const field of PROFILE_FIELDS) out[field] = item[field] ?? null;
  return out as Profile;
}

export function toPublicProfile(item: ProfileItem, stats: { threads: number; posts: number }): PublicProfile {
  const { email: _email, ...rest } = toProfile(item);
  return { ...rest, stats };
}

export async function getProfile(userId: string, consistent = false): Promise<ProfileItem | undefined> {
  return usersTable.get<ProfileItem>(keys.profile(userId), { consistent });
}

/** The profile and its stats in one query (both live under `USER#<userId>`, and nothing else does). */
export async function getPublicProfile(userId: string): Promise<PublicProfile | undefined> {
  const { items } = await usersTable.queryPage<Record<string, unknown>>(
    { keyCondition: "pk = :pk", values: { ":pk": keys.profile(userId).pk } },
    { limit: 2 },
  );
  const item = items.find((i) => i.sk === "PROFILE") as ProfileItem | undefined;
  if (!item) return undefined;
  const stats = items.find((i) => i.sk === "STATS");
  return toPublicProfile(item, { threads: Number(stats?.threads ?? 0), posts: Number(stats?.posts ?? 0) });
}

export interface ProfileChange {
  readonly displayName?: string;
  readonly bio?: string | null;
  readonly avatar?: Avatar | null;
}

/**
 * Writes `change` over the profile if it is still at `version` (optimistic concurrency: a concurrent update makes
 * this return `undefined`, and the caller re-reads), and `users.UserProfileUpdated` naming exactly the `changed`
 * fields, in one transaction: there is never an update without its event, nor an event without its update.
 * Returns the new item.
 */
export async function updateProfile(
  current: ProfileItem,
  change: ProfileChange,
  changed: readonly ("displayName" | "bio" | "avatar")[],
  updatedAt: string,
): Promise<ProfileItem | undefined> {
  const updated: ProfileItem = { ...current, ...change, updatedAt, version: current.version + 1 };
  const outcome = await writeWithEvents(
    usersTable,
    [
      {
        update: {
          key: keys.profile(current.userId),
          spec: { set: { ...change, updatedAt, version: updated.version } },
          condition: {
            expression: "#version = :version",
            names: { "#version": "version" },
            values: { ":version": current.version },
          },
        },
      },
    ],
    [
      outboxEvent(
        UserProfileUpdated,
        {
          userId: updated.userId,
          displayName: updated.displayName,
          avatar: updated.avatar,
          changed: [...changed],
          updatedAt,
        },
        // One user's updates reach the bus in the order they were made.
        { orderKey: current.userId },
      ),
    ],
  );
  return outcome.committed ? updated : undefined;
}

export async function getMedia(mediaId: string): Promise<MediaItem | undefined> {
  return usersTable.get<MediaItem>(keys.media(mediaId));
}

/**
 * Records a processed media item. A redelivery, or an older event arriving after a newer one, changes nothing.
 * Returns whether the item was written.
 */
export async function recordMedia(media: MediaItem): Promise<boolean> {
  return usersTable.put(
    { ...keys.media(media.mediaId), ...media },
    {
      condition: {
        expression: "attribute_not_exists(pk) OR processedAt < :processedAt",
        values: { ":processedAt": media.processedAt },
      },
    },
  );
}

/**
 * Adds one thread or post to its author's stats, exactly once per thread or post: the marker and the increment are
 * one transaction, so a duplicate delivery (the same event again, or the producer publishing twice) finds the
 * marker and counts nothing. Returns whether it counted.
 */
export async function countActivity(
  kind: "thread" | "post",
  entityId: string,
  authorId: string,
  at: string,
): Promise<boolean> {
  return usersTable.countOnce({
    marker: { ...keys.counted(kind, entityId), authorId, at },
    counter: keys.stats(authorId),
    increments: { [kind === "thread" ? "threads" : "posts"]: 1 },
    set: { updatedAt: at },
  });
}
