import { AdminGetUserCommand } from "@aws-sdk/client-cognito-identity-provider";
import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import { DeleteCommand, GetCommand, PutCommand, TransactWriteCommand } from "@aws-sdk/lib-dynamodb";
import { UserRegistered } from "../../events/users.js";
import { cognitoClient } from "../../shared/aws/cognito.js";
import { dynamoClient } from "../../shared/aws/dynamo.js";
import { resource } from "../../shared/config.js";
import { conflict } from "../../shared/http/problem.js";
import { logger } from "../../shared/logging/index.js";
import { publish } from "../../shared/publish/index.js";
import { createIdentity, deleteIdentity, EmailTakenInCognito } from "./identity.js";
import { type EmailClaim, isConditionFailure, keys, type ProfileItem, usersTable } from "./store.js";

/**
 * Sign-up across two stores that share no transaction (Cognito and the users table), as a saga:
 *
 * 1. **Claim the email** in the table: a conditional put that exactly one concurrent sign-up wins. The claim is
 *    `pending` with a lease longer than the function's timeout, so a sign-up that dies half-way blocks the email only
 *    until the lease ends.
 * 2. **Create the identity** in Cognito (and confirm it, so the user can sign in at once). An identity already there
 *    while we hold the claim belongs to a sign-up that died after step 2: if no profile is behind it, it is replaced.
 * 3. **Commit** the profile and turn the claim `active`, in one transaction, only if the claim is still ours.
 * 4. **Publish** `users.UserRegistered`.
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
  try {
    await commit(profile, claimId);
  } catch (error) {
    await undo("delete the identity", () => deleteIdentity(input.email));
    await undo("release the email claim", () => releaseClaim(input.email, claimId));
    if (isConditionFailure(error, 1)) throw conflict(EMAIL_TAKEN);
    throw error;
  }

  try {
    await publish(UserRegistered, { userId, email: input.email, displayName: input.displayName, createdAt });
  } catch (error) {
    // Without its event the registration is not complete: undo it all, so the client's retry starts clean. If the
    // profile stays, so does the identity: a whole registration that only lacks its event, never a profile whose
    // identity is gone (its active claim would block the email for good).
    if (await undo("remove the profile and its claim", () => removeProfile(profile, claimId)))
      await undo("delete the identity", () => deleteIdentity(input.email));
    throw error;
  }
  return { userId, email: input.email, displayName: input.displayName, createdAt };
}

/** Step 1: wins only if nobody holds the email, or a dead sign-up's lease has ended. */
async function claimEmail(email: string, claimId: string, nowMs: number): Promise<void> {
  const claim: EmailClaim = { email, state: "pending", claimId, leaseExpiresAt: nowMs + CLAIM_LEASE_MS };
  try {
    await dynamoClient().send(
      new PutCommand({
        TableName: usersTable(),
        Item: { ...keys.email(email), ...claim },
        ConditionExpression: "attribute_not_exists(pk) OR (#state = :pending AND #lease < :now)",
        ExpressionAttributeNames: { "#state": "state", "#lease": "leaseExpiresAt" },
        ExpressionAttributeValues: { ":pending": "pending", ":now": nowMs },
      }),
    );
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) throw conflict(EMAIL_TAKEN);
    throw error;
  }
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
  const { Item } = await dynamoClient().send(
    new GetCommand({ TableName: usersTable(), Key: keys.profile(userId), ConsistentRead: true }),
  );
  return Item !== undefined;
}

/** Step 3: the profile and the active claim together, only while the claim is still ours. */
async function commit(profile: ProfileItem, claimId: string): Promise<void> {
  await dynamoClient().send(
    new TransactWriteCommand({
      TransactItems: [
        {
          Put: {
            TableName: usersTable(),
            Item: { ...keys.profile(profile.userId), ...profile },
            ConditionExpression: "attribute_not_exists(pk)",
          },
        },
        {
          Update: {
            TableName: usersTable(),
            Key: keys.email(profile.email),
            UpdateExpression: "SET #state = :active, userId = :userId REMOVE leaseExpiresAt",
            ConditionExpression: "claimId = :claimId",
            ExpressionAttributeNames: { "#state": "state" },
            ExpressionAttributeValues: { ":active": "active", ":userId": profile.userId, ":claimId": claimId },
          },
        },
      ],
    }),
  );
}

async function releaseClaim(email: string, claimId: string): Promise<void> {
  try {
    await dynamoClient().send(
      new DeleteCommand({
        TableName: usersTable(),
        Key: keys.email(email),
        ConditionExpression: "claimId = :claimId",
        ExpressionAttributeValues: { ":claimId": claimId },
      }),
    );
  } catch (error) {
    // Someone else's claim now (ours expired): not ours to release.
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
  }
}

async function removeProfile(profile: ProfileItem, claimId: string): Promise<void> {
  await dynamoClient().send(
    new TransactWriteCommand({
      TransactItems: [
        { Delete: { TableName: usersTable(), Key: keys.profile(profile.userId) } },
        {
          Delete: {
            TableName: usersTable(),
            Key: keys.email(profile.email),
            ConditionExpression: "claimId = :claimId",
            ExpressionAttributeValues: { ":claimId": claimId },
          },
        },
      ],
    }),
  );
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
