import { AdminGetUserCommand } from "@aws-sdk/client-cognito-identity-provider";
import { UserRegistered } from "../../events/users.js";
import { cognitoClient } from "../../shared/aws/cognito.js";
import { resource } from "../../shared/config.js";
import { conflict } from "../../shared/http/problem.js";
import { logger } from "../../shared/logging/index.js";
import { emitMetric } from "../../shared/metrics/index.js";
import { outboxEvent, writeWithEvents } from "../../shared/outbox/index.js";
import { createIdentity, deleteIdentity, EmailTakenInCognito } from "./identity.js";
import { usersMetrics } from "./metrics.js";
import { absent, type EmailClaim, keys, type ProfileItem, usersTable } from "./store.js";

/**
 * Sign-up across two stores that share no transaction (Cognito and the users table), as a saga:
 *
 * 1. **Claim the email** in the table: a conditional put that exactly one concurrent sign-up wins. The claim is
 *    `pending` with a lease longer than the function's timeout, so a sign-up that dies half-way blocks the email only
 *    until the lease ends.
 * 2. **Create the identity** in Cognito (and confirm it, so the user can sign in at once). An identity already there
 *    while we hold the claim belongs to a sign-up that died after step 2: if no profile is behind it, it is replaced.
 * 3. **Commit** the profile, the `active` claim and `users.UserRegistered` in one transaction (the event goes through
 *    the outbox), only if the claim is still ours. Once this commits the registration is whole: the event leaves
 *    from the table's stream even if this function dies the next instant.
 *
 * A failure at any step undoes the steps before it (in reverse), so the email is free again at once; if the undoing
 * fails too, the lease and the orphan check of step 2 free it later. Nothing is left that blocks an email forever.
 */
/** Longer than the sign-up function's timeout (10 s) with margin: a live sign-up never loses its claim. */
export const CLAIM_LEASE_MS = 60_000;

export interface Registration {
  readonly email: string;
  readonly password: string;
  readonly displayName: string;
}

export interface Registered {
  readonly userId: string;
  readonly email: string;
  readonly displayName: string;
  readonly createdAt: string;
}

const EMAIL_TAKEN = "this email is already registered";

export async function register(input: Registration, now: () => number = Date.now): Promise<Registered> {
  const claimId = crypto.randomUUID();
  await claimEmail(input.email, claimId, now());

  let userId: string;
  try {
    userId = await createIdentityOverOrphan(input.email, input.password);
  } catch (error) {
    await undo("release the email claim", () => releaseClaim(input.email, claimId));
    throw error;
  }

  const createdAt = new Date(now()).toISOString();
  const profile: ProfileItem = {
    userId,
    email: input.email,
    displayName: input.displayName,
    bio: null,
    avatar: null,
    createdAt,
    updatedAt: createdAt,
    version: 1,
  };
  let committed: Awaited<ReturnType<typeof commit>>;
  try {
    committed = await commit(profile, claimId);
  } catch (error) {
    await undo("delete the identity", () => deleteIdentity(input.email));
    await undo("release the email claim", () => releaseClaim(input.email, claimId));
    throw error;
  }
  if (!committed.committed) {
    await undo("delete the identity", () => deleteIdentity(input.email));
    await undo("release the email claim", () => releaseClaim(input.email, claimId));
    // Item 1 is the claim: it is no longer ours (its lease ended and another sign-up took the email).
    if (committed.failed.includes(1)) throw conflict(EMAIL_TAKEN);
    throw new Error(`sign-up commit refused (items ${committed.failed.join(", ")})`);
  }
  emitMetric(usersMetrics, "SignUps", 1);
  return { userId, email: input.email, displayName: input.displayName, createdAt };
}

/** Step 1: wins only if nobody holds the email, or a dead sign-up's lease has ended. */
async function claimEmail(email: string, claimId: string, nowMs: number): Promise<void> {
  const claim: EmailClaim = { email, state: "pending", claimId, leaseExpiresAt: nowMs + CLAIM_LEASE_MS };
  const claimed = await usersTable.put(
    { ...keys.email(email), ...claim },
    {
      condition: {
        expression: "attribute_not_exists(pk) OR (#state = :pending AND #lease < :now)",
        names: { "#state": "state", "#lease": "leaseExpiresAt" },
        values: { ":pending": "pending", ":now": nowMs },
      },
    },
  );
  if (!claimed) throw conflict(EMAIL_TAKEN);
}

/** Step 2, replacing an identity that a dead sign-up left without a profile. */
async function createIdentityOverOrphan(email: string, password: string): Promise<string> {
  try {
    return await createIdentity(email, password);
  } catch (error) {
    if (!(error instanceof EmailTakenInCognito)) throw error;
  }
  const existing = await cognitoClient().send(
    new AdminGetUserCommand({ UserPoolId: resource("UsersUserPool").id as string, Username: email }),
  );
  const sub = existing.UserAttributes?.find((a) => a.Name === "sub")?.Value ?? existing.Username;
  if (sub && (await hasProfile(sub))) throw conflict(EMAIL_TAKEN);
  logger.warn("replacing an identity a failed sign-up left without a profile", { userId: sub });
  await deleteIdentity(email);
  return createIdentity(email, password);
}

async function hasProfile(userId: string): Promise<boolean> {
  return (await usersTable.get(keys.profile(userId), { consistent: true })) !== undefined;
}

/** The claim is still this sign-up's. */
const stillOurs = (claimId: string) => ({ expression: "claimId = :claimId", values: { ":claimId": claimId } });

/** Step 3: the profile, the active claim and the event together, only while the claim is still ours. */
async function commit(profile: ProfileItem, claimId: string) {
  const { userId, email, displayName, createdAt } = profile;
  return writeWithEvents(
    usersTable,
    [
      { put: { item: { ...keys.profile(userId), ...profile }, condition: absent } },
      {
        update: {
          key: keys.email(email),
          spec: { set: { state: "active", userId }, remove: ["leaseExpiresAt"] },
          condition: stillOurs(claimId),
        },
      },
    ],
    [outboxEvent(UserRegistered, { userId, email, displayName, createdAt }, { orderKey: userId })],
  );
}

/** Someone else's claim by now (ours expired) is not ours to release: the conditional delete then does nothing. */
async function releaseClaim(email: string, claimId: string): Promise<void> {
  await usersTable.delete(keys.email(email), { condition: stillOurs(claimId) });
}

/**
 * Runs one compensating step; its failure is logged (with the trace id) and left to the lease and the orphan check.
 * Returns whether it succeeded.
 */
async function undo(step: string, action: () => Promise<void>): Promise<boolean> {
  try {
    await action();
    return true;
  } catch (error) {
    logger.error(`sign-up could not ${step}`, { error });
    return false;
  }
}
