import { keys } from "./keys.js";
import { forumsTable } from "./table.js";

/**
 * The author directory, write side (the read side is `authors.ts`): `AUTHOR#<userId>` / `AUTHOR` holds the user's
 * `displayName` as of the newest users event seen. Events come from the bus in no guaranteed order and may come
 * twice, so each write carries its event's version (`nameVersion`: the event's time, then its kind, then its id)
 * and lands only over an older one: a late registration never undoes a rename, a redelivery changes nothing.
 */

/** Which event named the author: at the same instant, a profile update is newer than the registration. */
export type NamedBy = "registered" | "updated";

/**
 * The version a name write carries: the event's time (`createdAt`, `updatedAt`), its kind, its id (so that two
 * events of one instant order the same way whatever order they arrive in). String order is event order.
 *
 * @example
 * ```ts
 * nameVersion("2026-01-01T00:00:00.000Z", "updated", "e1") > nameVersion("2026-01-01T00:00:00.000Z", "registered", "e0"); // true
 * ```
 */
export const nameVersion = (at: string, by: NamedBy, eventId: string): string =>
  `${at}#${by === "registered" ? 0 : 1}#${eventId}`;

/**
 * Records `displayName` for `userId` unless the directory holds a name of a newer event. `true` if written.
 *
 * @example
 * ```ts
 * await recordAuthorName({ userId, displayName: "Ada", at: updatedAt, by: "updated", eventId: envelope.id });
 * ```
 */
export async function recordAuthorName(name: {
  readonly userId: string;
  readonly displayName: string;
  readonly at: string;
  readonly by: NamedBy;
  readonly eventId: string;
}): Promise<boolean> {
  const version = nameVersion(name.at, name.by, name.eventId);
  const written = await forumsTable.update(
    keys.author(name.userId),
    { set: { userId: name.userId, displayName: name.displayName, nameVersion: version } },
    {
      condition: {
        expression: "attribute_not_exists(pk) OR #version < :version",
        names: { "#version": "nameVersion" },
        values: { ":version": version },
      },
    },
  );
  return written !== undefined;
}
