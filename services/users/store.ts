import { ConditionalCheckFailedException, TransactionCanceledException } from "@aws-sdk/client-dynamodb";
import { GetCommand, PutCommand, QueryCommand, TransactWriteCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { dynamoClient } from "../../shared/aws/dynamo.js";
import { resource } from "../../shared/config.js";
import type { Avatar, Profile, PublicProfile } from "./api.js";

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
 */
export const keys = {
  profile: (userId: string) => ({ pk: `USER#${userId}`, sk: "PROFILE" }),
  stats: (userId: string) => ({ pk: `USER#${userId}`, sk: "STATS" }),
  email: (email: string) => ({ pk: `EMAIL#${email}`, sk: "EMAIL" }),
  media: (mediaId: string) => ({ pk: `MEDIA#${mediaId}`, sk: "MEDIA" }),
  counted: (kind: "thread" | "post", entityId: string) => ({ pk: `COUNTED#${kind}#${entityId}`, sk: "COUNTED" }),
} as const;

export const usersTable = (): string => resource("UsersTable").name as string;

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
  const { Item } = await dynamoClient().send(
    new GetCommand({ TableName: usersTable(), Key: keys.profile(userId), ConsistentRead: consistent }),
  );
  return Item as ProfileItem | undefined;
}

/** The profile and its stats in one query (both live under `USER#<userId>`). */
export async function getPublicProfile(userId: string): Promise<PublicProfile | undefined> {
  const { Items = [] } = await dynamoClient().send(
    new QueryCommand({
      TableName: usersTable(),
      KeyConditionExpression: "pk = :pk",
      ExpressionAttributeValues: { ":pk": keys.profile(userId).pk },
    }),
  );
  const item = Items.find((i) => i.sk === "PROFILE") as ProfileItem | undefined;
  if (!item) return undefined;
  const stats = Items.find((i) => i.sk === "STATS");
  return toPublicProfile(item, { threads: Number(stats?.threads ?? 0), posts: Number(stats?.posts ?? 0) });
}

export interface ProfileChange {
  readonly displayName?: string;
  readonly bio?: string | null;
  readonly avatar?: Avatar | null;
}

/**
 * Writes `change` over the profile if it is still at `version` (optimistic concurrency: a concurrent update makes
 * this return `undefined`, and the caller re-reads). Returns the new item.
 */
export async function updateProfile(
  current: ProfileItem,
  change: ProfileChange,
  updatedAt: string,
): Promise<ProfileItem | undefined> {
  const names: Record<string, string> = { "#version": "version", "#updatedAt": "updatedAt" };
  const values: Record<string, unknown> = {
    ":version": current.version,
    ":next": current.version + 1,
    ":at": updatedAt,
  };
  const sets = ["#version = :next", "#updatedAt = :at"];
  for (const [field, value] of Object.entries(change)) {
    if (value === undefined) continue;
    names[`#${field}`] = field;
    values[`:${field}`] = value;
    sets.push(`#${field} = :${field}`);
  }
  try {
    const { Attributes } = await dynamoClient().send(
      new UpdateCommand({
        TableName: usersTable(),
        Key: keys.profile(current.userId),
        UpdateExpression: `SET ${sets.join(", ")}`,
        ConditionExpression: "#version = :version",
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
        ReturnValues: "ALL_NEW",
      }),
    );
    return Attributes as ProfileItem;
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return undefined;
    throw error;
  }
}

/**
 * Puts `previous` back if the profile is still exactly the version `written` (nobody changed it since): undoes an
 * update whose event could not be published, so the client's retry applies it again, event and all.
 */
export async function restoreProfile(previous: ProfileItem, written: number): Promise<void> {
  await dynamoClient().send(
    new PutCommand({
      TableName: usersTable(),
      Item: { ...keys.profile(previous.userId), ...previous },
      ConditionExpression: "#version = :written",
      ExpressionAttributeNames: { "#version": "version" },
      ExpressionAttributeValues: { ":written": written },
    }),
  );
}

export async function getMedia(mediaId: string): Promise<MediaItem | undefined> {
  const { Item } = await dynamoClient().send(new GetCommand({ TableName: usersTable(), Key: keys.media(mediaId) }));
  return Item as MediaItem | undefined;
}

/**
 * Records a processed media item. A redelivery, or an older event arriving after a newer one, changes nothing.
 * Returns whether the item was written.
 */
export async function recordMedia(media: MediaItem): Promise<boolean> {
  try {
    await dynamoClient().send(
      new PutCommand({
        TableName: usersTable(),
        Item: { ...keys.media(media.mediaId), ...media },
        ConditionExpression: "attribute_not_exists(pk) OR processedAt < :processedAt",
        ExpressionAttributeValues: { ":processedAt": media.processedAt },
      }),
    );
    return true;
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return false;
    throw error;
  }
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
  const counter = kind === "thread" ? "threads" : "posts";
  try {
    await dynamoClient().send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Put: {
              TableName: usersTable(),
              Item: { ...keys.counted(kind, entityId), authorId, at },
              ConditionExpression: "attribute_not_exists(pk)",
            },
          },
          {
            Update: {
              TableName: usersTable(),
              Key: keys.stats(authorId),
              UpdateExpression: "ADD #counter :one SET #updatedAt = :at",
              ExpressionAttributeNames: { "#counter": counter, "#updatedAt": "updatedAt" },
              ExpressionAttributeValues: { ":one": 1, ":at": at },
            },
          },
        ],
      }),
    );
    return true;
  } catch (error) {
    if (isConditionFailure(error, 0)) return false;
    throw error;
  }
}

/** Whether a transaction was cancelled because the condition of item `index` failed (and not for another reason). */
export function isConditionFailure(error: unknown, index: number): boolean {
  return (
    error instanceof TransactionCanceledException &&
    error.CancellationReasons?.[index]?.Code === "ConditionalCheckFailed"
  );
}
