import { randomUUID } from "node:crypto";
import {
  AdminConfirmSignUpCommand,
  AdminGetUserCommand,
  CognitoIdentityProviderClient,
  InitiateAuthCommand,
  InvalidPasswordException,
  ListUsersCommand,
  SignUpCommand,
  UserNotFoundException,
} from "@aws-sdk/client-cognito-identity-provider";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import {
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  ScanCommand,
} from "@aws-sdk/lib-dynamodb";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { CLAIM_LEASE_MS, type Registered, register } from "../../services/users/registration.js";
import { handler as updateMe } from "../../services/users/routes/updateMe.js";
import users from "../../services/users/service.js";
import { keys } from "../../services/users/store.js";
import { resetAwsClients, useAwsClients } from "../../shared/aws/index.js";
import { HttpProblem } from "../../shared/http/problem.js";
import { logger } from "../../shared/logging/index.js";
import { apiEvent, lambdaContext } from "../support/apiEvents.js";
import { useEmulators } from "../support/emulators.js";
import { useLinks } from "../support/links.js";
import { provisioned } from "../support/provisioned.js";

/**
 * The sign-up saga's failure paths, over the wire: the real SDK against DynamoDB Local, cognito-local and the
 * EventBridge emulator. Failures are injected into the real clients the saga uses (a middleware that throws for one
 * command before it is sent); everything is checked afterwards through clients of its own, with no fault in them.
 */
const emulators = useEmulators();
const prefix = `usersreg-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
const PASSWORD = "correct-horse-9";
const DISPLAY_NAME = "Ada";

const observedTable = new DynamoDBClient(emulators.clientConfig("dynamodb"));
const observer = {
  dynamo: DynamoDBDocumentClient.from(observedTable),
  cognito: new CognitoIdentityProviderClient(emulators.clientConfig("cognito")),
};
let table = "";
let pool = { id: "", clientId: "" };
const link = useLinks();

beforeAll(async () => {
  const resources = await provisioned(emulators, [users], prefix);
  const { UsersTable, UsersUserPool } = resources;
  if (!UsersTable || !UsersUserPool) throw new Error(`provisioned only ${Object.keys(resources).join(", ")}`);
  table = UsersTable.name!;
  pool = { id: UsersUserPool.id as string, clientId: UsersUserPool.clientId as string };
  link({ UsersTable, UsersUserPool });
});

afterAll(() => {
  observedTable.destroy(); // a document client's destroy() leaves its base client open
  observer.cognito.destroy();
});

/** The clients the saga runs with, fresh for each test so that no injected fault outlives it. */
let sagaClients: { dynamo: DynamoDBClient; cognito: CognitoIdentityProviderClient; eventBridge: EventBridgeClient };
const loggedErrors = vi.spyOn(logger, "error").mockImplementation(() => {});
const loggedWarnings = vi.spyOn(logger, "warn").mockImplementation(() => {});

beforeEach(() => {
  sagaClients = {
    dynamo: new DynamoDBClient(emulators.clientConfig("dynamodb")),
    cognito: new CognitoIdentityProviderClient(emulators.clientConfig("cognito")),
    eventBridge: new EventBridgeClient(emulators.clientConfig("eventbridge")),
  };
  useAwsClients({
    // As shared/aws/dynamo.ts builds it; the document client sends through the base client's middleware stack.
    dynamo: DynamoDBDocumentClient.from(sagaClients.dynamo, { marshallOptions: { removeUndefinedValues: true } }),
    cognito: sagaClients.cognito,
    eventBridge: sagaClients.eventBridge,
  });
  loggedErrors.mockClear();
  loggedWarnings.mockClear();
});

afterEach(() => {
  resetAwsClients();
  for (const client of Object.values(sagaClients)) client.destroy();
});

/** Any SDK v3 client (typed loosely: each client's middleware stack has its own input and output types). */
interface Injectable {
  middlewareStack: { add(middleware: unknown, options: { step: "initialize" }): void };
}
type Handler = (args: unknown) => Promise<unknown>;

interface Interception {
  /** calls of the command, failed ones included */
  readonly calls: number;
  /** the errors thrown instead of sending */
  readonly thrown: Error[];
}

/**
 * Watches the calls of `command` (its SDK name, e.g. `SignUpCommand`) on a real client. The calls numbered in
 * `failing` (1 is the first) throw instead (a fresh error each, unless `error` makes it) before anything is sent,
 * so the SDK does not retry them.
 */
function intercept(client: Injectable, command: string, failing: number[] = [], error?: () => Error): Interception {
  const seen = { calls: 0, thrown: [] as Error[] };
  const middleware =
    (next: Handler, context: { commandName?: string }): Handler =>
    async (args) => {
      if (context.commandName !== command) return next(args);
      seen.calls++;
      if (!failing.includes(seen.calls)) return next(args);
      const thrown = error?.() ?? new Error(`injected: ${command} call ${seen.calls} failed`);
      seen.thrown.push(thrown);
      throw thrown;
    };
  client.middlewareStack.add(middleware, { step: "initialize" });
  return seen;
}

const freshEmail = () => `signup-${randomUUID()}@example.test`;
const signup = (email: string, password = PASSWORD) => ({ email, password, displayName: DISPLAY_NAME });

/** The Cognito identity's `sub` (the user id), or undefined when AdminGetUser says UserNotFoundException. */
async function identityOf(email: string): Promise<string | undefined> {
  try {
    const user = await observer.cognito.send(new AdminGetUserCommand({ UserPoolId: pool.id, Username: email }));
    return user.UserAttributes?.find((attribute) => attribute.Name === "sub")?.Value ?? "(no sub)";
  } catch (error) {
    if (error instanceof UserNotFoundException) return undefined;
    throw error;
  }
}

async function identitiesOf(email: string): Promise<number> {
  const { Users = [] } = await observer.cognito.send(
    new ListUsersCommand({ UserPoolId: pool.id, Filter: `email = "${email}"` }),
  );
  return Users.length;
}

async function claimOf(email: string): Promise<Record<string, unknown> | undefined> {
  const { Item } = await observer.dynamo.send(
    new GetCommand({ TableName: table, Key: keys.email(email), ConsistentRead: true }),
  );
  return Item;
}

/** Every profile that carries `email`, whatever its user id. */
async function profilesOf(email: string): Promise<Record<string, unknown>[]> {
  const { Items = [] } = await observer.dynamo.send(
    new ScanCommand({
      TableName: table,
      ConsistentRead: true,
      FilterExpression: "sk = :profile AND email = :email",
      ExpressionAttributeValues: { ":profile": "PROFILE", ":email": email },
    }),
  );
  return Items;
}

async function signsIn(email: string, password: string): Promise<boolean> {
  try {
    const { AuthenticationResult } = await observer.cognito.send(
      new InitiateAuthCommand({
        AuthFlow: "USER_PASSWORD_AUTH",
        ClientId: pool.clientId,
        AuthParameters: { USERNAME: email, PASSWORD: password },
      }),
    );
    return Boolean(AuthenticationResult?.AccessToken);
  } catch (error) {
    // cognito-local refuses a wrong password with InvalidPasswordException (AWS: NotAuthorizedException)
    if (error instanceof Error && /NotAuthorized|InvalidPassword|UserNotFound/.test(error.name)) return false;
    throw error;
  }
}

/** An identity in Cognito with no profile behind it, as a sign-up that died after step 2 leaves it. */
async function createOrphanIdentity(email: string, password: string): Promise<string> {
  const { UserSub } = await observer.cognito.send(
    new SignUpCommand({
      ClientId: pool.clientId,
      Username: email,
      Password: password,
      UserAttributes: [{ Name: "email", Value: email }],
    }),
  );
  await observer.cognito.send(new AdminConfirmSignUpCommand({ UserPoolId: pool.id, Username: email }));
  return UserSub!;
}

async function putPendingClaim(email: string, leaseExpiresAt: number): Promise<string> {
  const claimId = randomUUID();
  await observer.dynamo.send(
    new PutCommand({
      TableName: table,
      Item: { ...keys.email(email), email, state: "pending", claimId, leaseExpiresAt },
    }),
  );
  return claimId;
}

/** The envelopes of the events committed in the outbox for `userId` (their order key), oldest first. */
async function outboxOf(userId: string): Promise<Record<string, unknown>[]> {
  const { Items = [] } = await observer.dynamo.send(
    new QueryCommand({
      TableName: table,
      ConsistentRead: true,
      KeyConditionExpression: "pk = :pk",
      ExpressionAttributeValues: { ":pk": `OUTBOX#${userId}` },
    }),
  );
  return Items.map((item) => JSON.parse(String(item.envelope)) as Record<string, unknown>);
}

/** Every outbox event of the table that names `email` (whatever the user id). */
async function outboxEventsFor(email: string): Promise<unknown[]> {
  const { Items = [] } = await observer.dynamo.send(
    new ScanCommand({
      TableName: table,
      ConsistentRead: true,
      FilterExpression: "begins_with(pk, :outbox) AND contains(envelope, :email)",
      ExpressionAttributeValues: { ":outbox": "OUTBOX#", ":email": email },
    }),
  );
  return Items;
}

/** Nothing of a sign-up is left: no identity, no claim, no profile, no event. */
async function expectNothingLeft(email: string): Promise<void> {
  expect(await identityOf(email)).toBeUndefined();
  expect(await claimOf(email)).toBeUndefined();
  expect(await profilesOf(email)).toEqual([]);
  expect(await outboxEventsFor(email)).toEqual([]);
}

/** A complete registration: one identity (that signs in), an active claim naming it, its one profile. */
async function expectRegistered(registered: Registered, password = PASSWORD): Promise<void> {
  const { email, userId } = registered;
  expect(await identityOf(email)).toBe(userId);
  expect(await identitiesOf(email)).toBe(1);
  const claim = await claimOf(email);
  expect(claim).toMatchObject({ email, state: "active", userId });
  expect(claim).not.toHaveProperty("leaseExpiresAt");
  expect(await profilesOf(email)).toEqual([
    expect.objectContaining({ ...keys.profile(userId), userId, email, displayName: DISPLAY_NAME, version: 1 }),
  ]);
  expect(await signsIn(email, password)).toBe(true);
}

/** Signs `email` up (at `now`) and checks that the registration is complete. */
async function expectSignUpSucceeds(email: string, now?: () => number): Promise<Registered> {
  const registered = await register(signup(email), now);
  expect(registered).toMatchObject({ email, displayName: DISPLAY_NAME });
  await expectRegistered(registered);
  return registered;
}

/** What `attempt` rejects with (a resolved attempt fails the test). */
async function rejectionOf(attempt: Promise<unknown>): Promise<unknown> {
  return attempt.then(
    (value) => expect.unreachable(`expected a rejection, got ${JSON.stringify(value)}`),
    (reason: unknown) => reason,
  );
}

async function expectProblem(attempt: Promise<unknown>, status: number): Promise<HttpProblem> {
  const error = await rejectionOf(attempt);
  expect(error).toBeInstanceOf(HttpProblem);
  expect((error as HttpProblem).status).toBe(status);
  return error as HttpProblem;
}

describe("sign-up: a failure half-way leaves nothing behind", () => {
  it("table commit fails after Cognito created the identity: the error propagates, the identity and claim are undone", async () => {
    const email = freshEmail();
    const commit = intercept(sagaClients.dynamo, "TransactWriteItemsCommand", [1]);
    const signUps = intercept(sagaClients.cognito, "SignUpCommand");

    expect(await rejectionOf(register(signup(email)))).toBe(commit.thrown[0]);
    expect(commit.calls).toBe(1);
    expect(signUps.calls).toBe(1); // the identity had been created before the commit failed
    await expectNothingLeft(email);
    expect(loggedErrors).not.toHaveBeenCalled(); // every undo step succeeded

    await expectSignUpSucceeds(email);
  });

  it("confirming the new identity fails: the unconfirmed identity is deleted and the claim released", async () => {
    const email = freshEmail();
    const confirm = intercept(sagaClients.cognito, "AdminConfirmSignUpCommand", [1]);

    expect(await rejectionOf(register(signup(email)))).toBe(confirm.thrown[0]);
    await expectNothingLeft(email);

    await expectSignUpSucceeds(email);
  });

  it("Cognito SignUp fails: the claim is released and a retry succeeds", async () => {
    const email = freshEmail();
    const signUps = intercept(sagaClients.cognito, "SignUpCommand", [1]);

    expect(await rejectionOf(register(signup(email)))).toBe(signUps.thrown[0]);
    await expectNothingLeft(email);

    await expectSignUpSucceeds(email);
    expect(signUps.calls).toBe(2);
  });

  it("Cognito refuses the password or the username: 400, and the claim is released", async () => {
    // cognito-local does not check the pool's password policy: its answer for a refused password is injected,
    // as the SDK itself would raise it from Amazon Cognito's response.
    const email = freshEmail();
    intercept(
      sagaClients.cognito,
      "SignUpCommand",
      [1],
      () => new InvalidPasswordException({ message: "Password did not conform with policy: too short", $metadata: {} }),
    );
    const refused = await expectProblem(register(signup(email)), 400);
    expect(refused.errors).toEqual([{ path: "body.password", message: expect.stringContaining("policy") }]);
    await expectNothingLeft(email);
    await expectSignUpSucceeds(email);

    // A refusal the emulator really gives: a pool whose usernames are emails refuses anything else.
    const notAnEmail = `not-an-email-${randomUUID()}`;
    await expectProblem(register(signup(notAnEmail)), 400);
    await expectNothingLeft(notAnEmail);
  });

  it("UserRegistered commits with the registration, in the outbox: the function itself publishes nothing", async () => {
    const email = freshEmail();
    const putEvents = intercept(sagaClients.eventBridge, "PutEventsCommand");

    const registered = await expectSignUpSucceeds(email);
    expect(putEvents.calls).toBe(0);
    const [event, ...more] = await outboxOf(registered.userId);
    expect(more).toEqual([]);
    expect(event).toMatchObject({
      type: "users.UserRegistered",
      version: 1,
      producer: "users",
      data: { userId: registered.userId, email, displayName: DISPLAY_NAME, createdAt: registered.createdAt },
    });
    expect(event?.id).toEqual(expect.stringMatching(/^[0-9a-f-]{36}$/));
    expect(event?.correlationId).toEqual(expect.any(String));
  });
});

describe("sign-up: what a crash or a failed undo left blocks the email only for a while", () => {
  it("a dead sign-up's expired claim and its orphan identity: a new sign-up succeeds and replaces the identity", async () => {
    const email = freshEmail();
    const deadClaim = await putPendingClaim(email, Date.now() - 1);
    const orphan = await createOrphanIdentity(email, "orphans-password-1");

    const registered = await expectSignUpSucceeds(email);
    expect(registered.userId).not.toBe(orphan);
    expect(await claimOf(email)).not.toMatchObject({ claimId: deadClaim });
    expect(await signsIn(email, "orphans-password-1")).toBe(false);
    expect(loggedWarnings).toHaveBeenCalledWith(expect.stringContaining("replacing an identity"), {
      userId: orphan,
    });
  });

  it("a live pending claim (another sign-up in flight): 409, and nothing is created in Cognito", async () => {
    const email = freshEmail();
    const claimId = await putPendingClaim(email, Date.now() + 30_000);
    const signUps = intercept(sagaClients.cognito, "SignUpCommand");

    await expectProblem(register(signup(email)), 409);
    expect(signUps.calls).toBe(0);
    expect(await identityOf(email)).toBeUndefined();
    expect(await claimOf(email)).toMatchObject({ state: "pending", claimId });
  });

  it("the undo fails too: the email is blocked until the claim's lease ends, then a sign-up succeeds", async () => {
    const email = freshEmail();
    const startedAt = Date.now();
    const commit = intercept(sagaClients.dynamo, "TransactWriteItemsCommand", [1]);
    const deleteIdentity = intercept(sagaClients.cognito, "AdminDeleteUserCommand", [1]);
    const releaseClaim = intercept(sagaClients.dynamo, "DeleteItemCommand", [1]);

    expect(await rejectionOf(register(signup(email), () => startedAt))).toBe(commit.thrown[0]);
    expect(deleteIdentity.thrown).toHaveLength(1);
    expect(releaseClaim.thrown).toHaveLength(1);
    expect(loggedErrors.mock.calls.map(([message]) => message)).toEqual([
      expect.stringContaining("could not delete the identity"),
      expect.stringContaining("could not release the email claim"),
    ]);
    // Left behind: a pending claim and an identity without a profile.
    const orphan = await identityOf(email);
    expect(orphan).toBeDefined();
    expect(await claimOf(email)).toMatchObject({ state: "pending", leaseExpiresAt: startedAt + CLAIM_LEASE_MS });
    expect(await profilesOf(email)).toEqual([]);

    // While the lease runs (to its last millisecond), the email is taken and the orphan stays.
    await expectProblem(register(signup(email)), 409);
    await expectProblem(
      register(signup(email), () => startedAt + CLAIM_LEASE_MS),
      409,
    );
    expect(await identityOf(email)).toBe(orphan);

    const registered = await expectSignUpSucceeds(email, () => startedAt + CLAIM_LEASE_MS + 1);
    expect(registered.userId).not.toBe(orphan);
  });

  it("the commit fails and deleting the identity fails: the orphan identity is replaced by the next sign-up", async () => {
    const email = freshEmail();
    intercept(sagaClients.dynamo, "TransactWriteItemsCommand", [1]);
    const deleteIdentity = intercept(sagaClients.cognito, "AdminDeleteUserCommand", [1]);

    expect(await rejectionOf(register(signup(email)))).toBeInstanceOf(Error);
    expect(deleteIdentity.thrown).toHaveLength(1);
    const orphan = await identityOf(email);
    expect(orphan).toBeDefined();
    expect(await claimOf(email)).toBeUndefined();
    expect(await profilesOf(email)).toEqual([]);
    expect(await outboxEventsFor(email)).toEqual([]);

    const registered = await expectSignUpSucceeds(email);
    expect(registered.userId).not.toBe(orphan);
  });
});

describe("sign-up: an email is unique", () => {
  it("an email already registered: 409, and the user keeps their identity and password", async () => {
    const email = freshEmail();
    const first = await expectSignUpSucceeds(email);
    const deletions = intercept(sagaClients.cognito, "AdminDeleteUserCommand");

    await expectProblem(register(signup(email, "another-password-2")), 409);
    expect(deletions.calls).toBe(0);
    await expectRegistered(first);
    expect(await signsIn(email, "another-password-2")).toBe(false);
  });

  it("an identity with a profile but no claim (a damaged table): 409, and the identity is not deleted", async () => {
    const email = freshEmail();
    const first = await expectSignUpSucceeds(email);
    await observer.dynamo.send(new DeleteCommand({ TableName: table, Key: keys.email(email) }));
    const deletions = intercept(sagaClients.cognito, "AdminDeleteUserCommand");

    await expectProblem(register(signup(email, "another-password-2")), 409);
    expect(deletions.calls).toBe(0);
    expect(loggedWarnings).not.toHaveBeenCalled();
    expect(await identityOf(email)).toBe(first.userId);
    expect(await profilesOf(email)).toHaveLength(1);
    expect(await claimOf(email)).toBeUndefined(); // the attempt released its own claim, as it found it
    expect(await signsIn(email, PASSWORD)).toBe(true);
  });

  it("10 concurrent sign-ups of one email: exactly one succeeds, nine get 409", async () => {
    const email = freshEmail();
    const signUps = intercept(sagaClients.cognito, "SignUpCommand");

    const outcomes = await Promise.allSettled(Array.from({ length: 10 }, () => register(signup(email))));
    const won = outcomes.flatMap((outcome) => (outcome.status === "fulfilled" ? [outcome.value] : []));
    const lost = outcomes.flatMap((outcome) => (outcome.status === "rejected" ? [outcome.reason] : []));
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(9);
    for (const reason of lost) {
      expect(reason).toBeInstanceOf(HttpProblem);
      expect((reason as HttpProblem).status).toBe(409);
    }
    expect(signUps.calls).toBe(1);
    await expectRegistered(won[0]!);
  });
});

describe("profile update: the change and its event commit together, or neither does", () => {
  const patch = (userId: string, body: unknown) =>
    updateMe(
      apiEvent({
        httpMethod: "PATCH",
        path: "/users/me",
        resource: "/me",
        body: JSON.stringify(body),
        claims: { sub: userId, token_use: "access" },
      }),
      lambdaContext(),
    );

  it("a failed transaction: 500, the profile as before and no event, so the retry makes both", async () => {
    const email = freshEmail();
    const { userId } = await expectSignUpSucceeds(email);
    const before = await profilesOf(email);
    const commits = intercept(sagaClients.dynamo, "TransactWriteItemsCommand", [1]);
    const puts = intercept(sagaClients.eventBridge, "PutEventsCommand");

    const failed = await patch(userId, { displayName: "Grace", bio: "compilers" });
    expect(failed.statusCode).toBe(500);
    expect(commits.thrown).toHaveLength(1);
    expect(await profilesOf(email)).toEqual(before);
    expect((await outboxOf(userId)).map((e) => e.type)).toEqual(["users.UserRegistered"]);

    const retried = await patch(userId, { displayName: "Grace", bio: "compilers" });
    expect(retried.statusCode).toBe(200);
    expect(JSON.parse(retried.body)).toMatchObject({ userId, displayName: "Grace", bio: "compilers" });
    const events = await outboxOf(userId);
    expect(events.map((e) => e.type)).toEqual(["users.UserRegistered", "users.UserProfileUpdated"]);
    expect(events[1]?.data).toMatchObject({ userId, displayName: "Grace", changed: ["displayName", "bio"] });
    expect(puts.calls).toBe(0); // the outbox publisher sends it, from the table's stream

    // Nothing changed: nothing written, no event.
    const same = await patch(userId, { displayName: "Grace" });
    expect(same.statusCode).toBe(200);
    expect(await outboxOf(userId)).toHaveLength(2);
  });

  it("two concurrent updates: each commits under its own version with its own event, none lost", async () => {
    const email = freshEmail();
    const { userId } = await expectSignUpSucceeds(email);
    const [a, b] = await Promise.all([patch(userId, { displayName: "Ann" }), patch(userId, { bio: "b" })]);
    expect([a.statusCode, b.statusCode]).toEqual([200, 200]);
    const [profile] = await profilesOf(email);
    expect(profile).toMatchObject({ displayName: "Ann", bio: "b", version: 3 });
    const updates = (await outboxOf(userId)).filter((e) => e.type === "users.UserProfileUpdated");
    expect(updates.map((e) => (e.data as { changed: string[] }).changed).sort()).toEqual([["bio"], ["displayName"]]);
  });
});
