import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, ScanCommand } from "@aws-sdk/lib-dynamodb";
import { decodeJwt } from "jose";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { AsyncApiDocument } from "../../local/devtools/asyncapi.js";
import type { ServiceMap, TraceSummary, TraceTimeline } from "../../local/devtools/index.js";
import { openApiDocument } from "../../local/devtools/openapi.js";
import { services } from "../../services/index.js";
import type { Profile, PublicProfile, Tokens } from "../../services/users/api.js";
import type { Registered } from "../../services/users/registration.js";
import { resourceNameFor } from "../../shared/events/resources.js";
import { PROBLEM_KINDS, type ProblemDetails, type ProblemKind } from "../../shared/http/problem.js";
import { buildTopology } from "../../shared/topology/index.js";
import { type DevServer, startDev } from "../support/devServer.js";
import { cognitoLocalSigningKey, resign, TOKEN_ATTACKS } from "../support/tokens.js";
import { callsIn, outline, type TraceEntry, traceEntries, type XrayReader, xrayReader } from "../support/xray.js";

/**
 * The users rows of the HTTP contract (api-contract.md, "Conventions" and "users"), end to end: through the
 * gateway of a real `npm run dev`, with its local Cognito, DynamoDB, EventBridge and X-Ray collector.
 */

let dev: DevServer;
beforeAll(async () => {
  dev = await startDev();
}, 90_000);
afterAll(async () => {
  await dev?.stop();
});

const JSON_TYPE = "application/json; charset=utf-8";
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z$/;
const URL_SAFE_ID = /^[A-Za-z0-9_-]{1,64}$/;
const JWT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
const TRACE_HEADER = /^Root=(1-[0-9a-f]{8}-[0-9a-f]{24})(;|$)/;
const STACK_TRACE = /\n\s+at\s|\.ts:\d+:\d+/;

interface Reply<T> {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  readonly body: T;
}

interface CallOptions {
  /** Sent as JSON (with `content-type: application/json`). */
  readonly json?: unknown;
  /** Sent as is (`content-type: application/json` unless `headers` say otherwise). */
  readonly raw?: string;
  /** Sent as `authorization: Bearer <token>`. */
  readonly token?: string;
  readonly headers?: Readonly<Record<string, string>>;
}

/**
 * One request to the gateway, with the checks every answer must pass: never a 5xx, never a stack trace, and the
 * contract's `x-amzn-trace-id` and `x-request-id` headers.
 */
async function call<T = unknown>(method: string, path: string, options: CallOptions = {}): Promise<Reply<T>> {
  const body = options.json !== undefined ? JSON.stringify(options.json) : options.raw;
  const headers: Record<string, string> = {
    ...(body !== undefined ? { "content-type": "application/json" } : {}),
    ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
    ...options.headers,
  };
  const res = await fetch(`${dev.url}${path}`, { method, headers, body });
  const text = await res.text();
  const what = `${method} ${path} → ${res.status} ${text.slice(0, 500)}`;
  expect(res.status, what).toBeLessThan(500);
  expect(text, what).not.toMatch(STACK_TRACE);
  expect(res.headers.get("x-amzn-trace-id"), what).toMatch(TRACE_HEADER);
  expect(res.headers.get("x-request-id"), what).toMatch(/\S/);
  const json = /json/.test(res.headers.get("content-type") ?? "");
  return { status: res.status, headers: res.headers, text, body: (json ? JSON.parse(text) : undefined) as T };
}

/** A success: its status and the contract's JSON content type; returns the body. */
function expectOk<T>(reply: Reply<T>, status = 200): T {
  expect(reply.status, reply.text).toBe(status);
  expect(reply.headers.get("content-type")).toBe(JSON_TYPE);
  return reply.body;
}

/**
 * An RFC 9457 problem of `kind`: exactly `{ type, title, status, detail }`, plus `errors` naming exactly
 * `fieldPaths` when given; a 401 names the Bearer scheme.
 */
function expectProblem(reply: Reply<unknown>, kind: ProblemKind, fieldPaths?: readonly string[]): ProblemDetails {
  const { status, title, type } = PROBLEM_KINDS[kind];
  expect(reply.status, reply.text).toBe(status);
  expect(reply.headers.get("content-type")).toMatch(/^application\/problem\+json(;|$)/);
  expect(reply.body).toEqual({
    type,
    title,
    status,
    detail: expect.stringMatching(/\S/),
    ...(fieldPaths ? { errors: expect.any(Array) } : {}),
  });
  const problem = reply.body as ProblemDetails;
  if (fieldPaths) {
    expect(problem.errors?.map((e) => e.path).sort()).toEqual([...fieldPaths].sort());
    for (const error of problem.errors ?? [])
      expect(error).toEqual({ path: expect.any(String), message: expect.stringMatching(/\S/) });
  }
  if (status === 401) expect(reply.headers.get("www-authenticate")).toMatch(/^Bearer\b/);
  return problem;
}

interface Account extends Registered {
  readonly password: string;
}

const uniqueEmail = (label: string) => `${label.toLowerCase()}-${crypto.randomUUID().slice(0, 8)}@example.com`;

async function signUp(displayName: string): Promise<Account> {
  const input = { email: uniqueEmail(displayName), password: `pw-${crypto.randomUUID()}`, displayName };
  const created = expectOk(await call<Registered>("POST", "/users/signup", { json: input }), 201);
  return { ...input, userId: created.userId, createdAt: created.createdAt };
}

async function signIn({ email, password }: { email: string; password: string }): Promise<Tokens> {
  return expectOk(await call<Tokens>("POST", "/users/signin", { json: { email, password } }));
}

/** The profile a new account has, with `changes`. */
const profileOf = (account: Account, changes: Partial<Profile> = {}): Profile => ({
  userId: account.userId,
  email: account.email,
  displayName: account.displayName,
  bio: null,
  avatar: null,
  createdAt: account.createdAt,
  updatedAt: account.createdAt,
  ...changes,
});

const getMe = async (token: string) => expectOk(await call<Profile>("GET", "/users/me", { token }));
const patchMe = async (token: string, json: unknown) =>
  expectOk(await call<Profile>("PATCH", "/users/me", { token, json }));

/** Token responses: exactly the contract's fields, real JWTs, and `expiresIn` agreeing with the access token. */
function expectTokens(tokens: Tokens, userId: string): void {
  expect(tokens).toEqual({
    accessToken: expect.stringMatching(JWT),
    idToken: expect.stringMatching(JWT),
    refreshToken: expect.stringMatching(/\S/),
    expiresIn: expect.any(Number),
    tokenType: "Bearer",
  });
  expect(Number.isInteger(tokens.expiresIn) && tokens.expiresIn > 0, String(tokens.expiresIn)).toBe(true);
  const access = decodeJwt(tokens.accessToken);
  expect(access).toMatchObject({ token_use: "access", sub: userId });
  expect(decodeJwt(tokens.idToken)).toMatchObject({ token_use: "id", sub: userId });
  expect(Math.abs((access.exp ?? 0) - Math.floor(Date.now() / 1000) - tokens.expiresIn)).toBeLessThanOrEqual(5);
}

describe("the users rows", () => {
  test("POST /users/signup 201 { userId, email, displayName, createdAt }, the email lower-cased", async () => {
    const before = Date.now();
    const email = `Mixed.Case-${crypto.randomUUID().slice(0, 8)}@Example.COM`;
    const reply = await call<Registered>("POST", "/users/signup", {
      json: { email, password: "correct horse", displayName: "Mixed Case" },
    });
    const created = expectOk(reply, 201);
    expect(created).toEqual({
      userId: expect.stringMatching(URL_SAFE_ID),
      email: email.toLowerCase(),
      displayName: "Mixed Case",
      createdAt: expect.stringMatching(ISO_TIME),
    });
    expect(Date.parse(created.createdAt)).toBeGreaterThanOrEqual(before - 1000);
    expect(Date.parse(created.createdAt)).toBeLessThanOrEqual(Date.now() + 1000);
  });

  test("POST /users/signin 200 { accessToken, idToken, refreshToken, expiresIn, tokenType }, any letter case", async () => {
    const user = await signUp("Sina");
    expectTokens(await signIn(user), user.userId);
    expectTokens(await signIn({ email: user.email.toUpperCase(), password: user.password }), user.userId);
  });

  test("POST /users/refresh 200 with the same shape, and its new access token works on GET /users/me", async () => {
    const user = await signUp("Remy");
    const tokens = await signIn(user);
    const refreshed = expectOk(
      await call<Tokens>("POST", "/users/refresh", { json: { refreshToken: tokens.refreshToken } }),
    );
    expectTokens(refreshed, user.userId);
    expect(refreshed.accessToken).not.toBe(tokens.accessToken);
    expect(await getMe(refreshed.accessToken)).toEqual(profileOf(user));
  });

  test("GET /users/me 200 Profile { userId, email, displayName, bio, avatar, createdAt, updatedAt }", async () => {
    const user = await signUp("Mia");
    const { accessToken } = await signIn(user);
    expect(await getMe(accessToken)).toEqual(profileOf(user));
  });

  test("PATCH /users/me 200 Profile with the change; bio null clears it; {} changes nothing", async () => {
    const user = await signUp("Pat");
    const { accessToken } = await signIn(user);

    const renamed = await patchMe(accessToken, { displayName: "Patricia", bio: "Hello there" });
    expect(renamed).toEqual(
      profileOf(user, { displayName: "Patricia", bio: "Hello there", updatedAt: expect.stringMatching(ISO_TIME) }),
    );
    expect(Date.parse(renamed.updatedAt)).toBeGreaterThan(Date.parse(user.createdAt));
    expect(await getMe(accessToken)).toEqual(renamed);

    const cleared = await patchMe(accessToken, { bio: null });
    expect(cleared).toEqual({ ...renamed, bio: null, updatedAt: expect.stringMatching(ISO_TIME) });
    expect(Date.parse(cleared.updatedAt)).toBeGreaterThan(Date.parse(renamed.updatedAt));

    expect(await patchMe(accessToken, {})).toEqual(cleared);
    expect(await getMe(accessToken)).toEqual(cleared);

    const longest = "b".repeat(500);
    expect(await patchMe(accessToken, { bio: longest })).toEqual({
      ...cleared,
      bio: longest,
      updatedAt: expect.stringMatching(ISO_TIME),
    });
  });

  test("GET /users/{userId} 200 PublicProfile: no email, stats of a new user are zero", async () => {
    const user = await signUp("Pia");
    const found = expectOk(await call<PublicProfile>("GET", `/users/${user.userId}`));
    const { email: _email, ...publicPart } = profileOf(user);
    expect(found).toEqual({ ...publicPart, stats: { threads: 0, posts: 0 } });
    expect(found).not.toHaveProperty("email");
  });
});

describe("the users errors", () => {
  const valid = { email: "valid@example.com", password: "password123", displayName: "Valid" };

  test.each([
    {
      name: "bad email, short password, empty displayName",
      json: { email: "not-an-email", password: "1234567", displayName: "" },
      paths: ["body.email", "body.password", "body.displayName"],
    },
    { name: "displayName of 65 chars", json: { ...valid, displayName: "x".repeat(65) }, paths: ["body.displayName"] },
    { name: "missing fields", json: {}, paths: ["body.email", "body.password", "body.displayName"] },
    {
      name: "fields of the wrong type",
      json: { email: 42, password: true, displayName: null },
      paths: ["body.email", "body.password", "body.displayName"],
    },
  ])("POST /users/signup 400 lists every violated field: $name", async ({ json, paths }) => {
    expectProblem(await call("POST", "/users/signup", { json }), "validation", paths);
  });

  test("POST /users/signup 409 for a taken email, also in another letter case; the account is untouched", async () => {
    const user = await signUp("Taken");
    for (const email of [user.email, user.email.toUpperCase()]) {
      const again = { email, password: "another password", displayName: "Impostor" };
      expectProblem(await call("POST", "/users/signup", { json: again }), "conflict");
    }
    expectTokens(await signIn(user), user.userId);
    expectProblem(
      await call("POST", "/users/signin", { json: { email: user.email, password: "another password" } }),
      "unauthorized",
    );
  });

  test.each([
    { json: { email: "not-an-email" }, paths: ["body.email", "body.password"] },
    { json: { email: "someone@example.com", password: "" }, paths: ["body.password"] },
  ])("POST /users/signin 400: %j", async ({ json, paths }) => {
    expectProblem(await call("POST", "/users/signin", { json }), "validation", paths);
  });

  test("POST /users/signin 401 is byte-identical for an unknown email and a wrong password", async () => {
    const user = await signUp("Wanda");
    const unknown = await call("POST", "/users/signin", {
      json: { email: uniqueEmail("nobody"), password: user.password },
    });
    const wrong = await call("POST", "/users/signin", { json: { email: user.email, password: `${user.password}x` } });
    expectProblem(unknown, "unauthorized");
    expectProblem(wrong, "unauthorized");
    expect(wrong.text).toBe(unknown.text);
    expect(wrong.headers.get("content-type")).toBe(unknown.headers.get("content-type"));
    expect(wrong.headers.get("www-authenticate")).toBe(unknown.headers.get("www-authenticate"));
  });

  test("POST /users/refresh 401 for a garbage token, 400 for a missing one", async () => {
    expectProblem(await call("POST", "/users/refresh", { json: { refreshToken: "garbage" } }), "unauthorized");
    expectProblem(await call("POST", "/users/refresh", { json: {} }), "validation", ["body.refreshToken"]);
  });

  describe("PATCH /users/me", () => {
    let user: Account;
    let token: string;
    beforeAll(async () => {
      user = await signUp("Edna");
      token = (await signIn(user)).accessToken;
    });

    test("400 lists a bio of 501 chars and an unknown field together; nothing changes", async () => {
      const reply = await call("PATCH", "/users/me", { token, json: { bio: "b".repeat(501), displayname: "edna" } });
      expectProblem(reply, "validation", ["body.bio", "body.displayname"]);
      expectProblem(await call("PATCH", "/users/me", { token, json: { displayname: "edna" } }), "validation", [
        "body.displayname",
      ]);
      expect(await getMe(token)).toEqual(profileOf(user));
    });

    test("403 for an avatarMediaId the service has never seen", async () => {
      const reply = await call("PATCH", "/users/me", { token, json: { avatarMediaId: crypto.randomUUID() } });
      expectProblem(reply, "forbidden");
      expect(await getMe(token)).toEqual(profileOf(user));
    });

    test("400 for malformed JSON", async () => {
      expectProblem(await call("PATCH", "/users/me", { token, raw: '{"bio": "half' }), "malformed-json");
    });
  });

  test("GET /users/{unknown} 404", async () => {
    expectProblem(await call("GET", `/users/${crypto.randomUUID()}`), "not-found");
  });

  test("POST /users/signup 400 for malformed JSON", async () => {
    expectProblem(await call("POST", "/users/signup", { raw: '{"email": "a@example.com",' }), "malformed-json");
  });

  test.each([
    ["text/plain", JSON.stringify(valid)],
    ["application/x-www-form-urlencoded", "email=valid%40example.com&password=password123&displayName=Valid"],
  ])("POST /users/signup 415 for content-type %s", async (contentType, raw) => {
    const reply = await call("POST", "/users/signup", { raw, headers: { "content-type": contentType } });
    expectProblem(reply, "unsupported-media-type");
  });

  test("413 for a body over 64 KiB; a body of exactly 64 KiB is read (and validated)", async () => {
    const ofBytes = (size: number) => {
      const empty = JSON.stringify({ ...valid, displayName: "" });
      const body = empty.replace('"displayName":""', `"displayName":"${"x".repeat(size - empty.length)}"`);
      expect(Buffer.byteLength(body)).toBe(size);
      return body;
    };
    const limit = 64 * 1024;
    expectProblem(await call("POST", "/users/signup", { raw: ofBytes(limit) }), "validation", ["body.displayName"]);
    expectProblem(await call("POST", "/users/signup", { raw: ofBytes(limit + 1) }), "payload-too-large");
  });

  test.each([
    ["DELETE", "/users/me", ["GET", "PATCH"]],
    ["GET", "/users/signup", ["POST"]],
    ["PUT", "/users/someone", ["GET"]],
  ])("%s %s 405 with allow: %j", async (method, path, allowed) => {
    const reply = await call(method, path);
    expectProblem(reply, "method-not-allowed");
    const allow = (reply.headers.get("allow") ?? "").split(",").map((m) => m.trim());
    expect(allow.sort()).toEqual([...allowed].sort());
  });

  test.each(["/users/signup/extra", "/users/me/settings", "/users/a/b/c"])(
    "GET %s 404 (no such route)",
    async (path) => {
      expectProblem(await call("GET", path), "not-found");
    },
  );
});

describe("bearer tokens on GET and PATCH /users/me", () => {
  let owner: Account;
  let tokens: Tokens;
  const refused = new Map<string, string | undefined>();

  beforeAll(async () => {
    owner = await signUp("Tess");
    tokens = await signIn(owner);
    const victim = { email: owner.email, password: owner.password, ...tokens };
    for (const [name, forge] of Object.entries(TOKEN_ATTACKS))
      refused.set(name, await forge(victim, dev.clientConfig("cognito"), String(dev.resources.UsersUserPool?.id)));
  });

  test.each(Object.keys(TOKEN_ATTACKS).flatMap((name) => [["GET", name] as const, ["PATCH", name] as const]))(
    "%s /users/me 401 with %s",
    async (method, name) => {
      const authorization = refused.get(name);
      const reply = await call(method, "/users/me", {
        headers: authorization === undefined ? {} : { authorization },
        ...(method === "PATCH" ? { json: { displayName: "Mallory" } } : {}),
      });
      expectProblem(reply, "unauthorized");
    },
  );

  test("positive controls: the real access token, and a copy re-signed by the local key with its claims, get 200", async () => {
    // The copy proves the forging is faithful: the expired and other-key copies above failed for that alone.
    // Both still see the untouched profile: none of the refused PATCHes (to "Mallory") changed it.
    const copy = await resign(tokens.accessToken, await cognitoLocalSigningKey());
    for (const token of [tokens.accessToken, copy]) {
      expect(await getMe(token)).toEqual(profileOf(owner));
      expect(await patchMe(token, {})).toEqual(profileOf(owner));
    }
  });
});

test("the me routes act on the caller only", async () => {
  const [ann, ben] = await Promise.all([signUp("Ann"), signUp("Ben")]);
  const [annToken, benToken] = (await Promise.all([signIn(ann), signIn(ben)])).map((t) => t.accessToken);

  const benChanged = await patchMe(benToken!, { displayName: "Benedict", bio: "Ben's own" });
  expect(benChanged).toEqual(
    profileOf(ben, { displayName: "Benedict", bio: "Ben's own", updatedAt: expect.stringMatching(ISO_TIME) }),
  );
  expect(await getMe(annToken!)).toEqual(profileOf(ann));
  expect(await getMe(benToken!)).toEqual(benChanged);

  const annChanged = await patchMe(annToken!, { bio: "Ann's own" });
  expect(annChanged).toEqual(profileOf(ann, { bio: "Ann's own", updatedAt: expect.stringMatching(ISO_TIME) }));
  expect(await getMe(benToken!)).toEqual(benChanged);
  expect(await getMe(annToken!)).toEqual(annChanged);

  const annPublic = expectOk(await call<PublicProfile>("GET", `/users/${ann.userId}`));
  expect(annPublic).toMatchObject({ userId: ann.userId, displayName: ann.displayName, bio: "Ann's own" });
});

test("signup idempotency: the same key and body replay the 201 (one user); another body is 422", async () => {
  const key = crypto.randomUUID();
  const body = { email: uniqueEmail("Ida"), password: "password-ida", displayName: "Ida" };
  const first = await call<Registered>("POST", "/users/signup", { json: body, headers: { "idempotency-key": key } });
  const created = expectOk(first, 201);
  const replay = await call("POST", "/users/signup", { json: body, headers: { "idempotency-key": key } });
  expectOk(replay, 201);
  expect(replay.text).toBe(first.text);

  const other = { ...body, email: uniqueEmail("Ida") };
  const reused = await call("POST", "/users/signup", { json: other, headers: { "idempotency-key": key } });
  expectProblem(reused, "idempotency-key-reused");
  expectProblem(await call("POST", "/users/signin", { json: other }), "unauthorized");

  const db = DynamoDBDocumentClient.from(new DynamoDBClient(dev.clientConfig("dynamodb")));
  try {
    const { Items = [] } = await db.send(
      new ScanCommand({
        TableName: String(dev.resources.UsersTable?.name),
        FilterExpression: "#sk = :profile AND #email = :email",
        ExpressionAttributeNames: { "#sk": "sk", "#email": "email" },
        ExpressionAttributeValues: { ":profile": "PROFILE", ":email": body.email },
      }),
    );
    expect(Items.map((item) => item.userId)).toEqual([created.userId]);
  } finally {
    db.destroy();
  }
});

test("a sign-up race for one email: exactly one 201, the others 409, and the winner's account works", async () => {
  const email = uniqueEmail("Race");
  const attempts = Array.from({ length: 8 }, (_, i) => ({
    email,
    password: `password-${i}`,
    displayName: `Racer ${i}`,
  }));
  const replies = await Promise.all(attempts.map((json) => call<Registered>("POST", "/users/signup", { json })));

  const winners = replies.filter((r) => r.status === 201);
  expect(replies.map((r) => r.status).sort()).toEqual([201, 409, 409, 409, 409, 409, 409, 409]);
  for (const reply of replies.filter((r) => r.status !== 201)) expectProblem(reply, "conflict");
  const won = expectOk(winners[0]!, 201);
  const winner = attempts.find((a) => a.displayName === won.displayName)!;
  expect(won).toEqual({
    userId: expect.stringMatching(URL_SAFE_ID),
    email,
    displayName: winner.displayName,
    createdAt: expect.stringMatching(ISO_TIME),
  });

  expectTokens(await signIn(winner), won.userId);
  const loser = attempts.find((a) => a !== winner)!;
  expectProblem(await call("POST", "/users/signin", { json: { email, password: loser.password } }), "unauthorized");
  expect(expectOk(await call<PublicProfile>("GET", `/users/${won.userId}`))).toMatchObject({
    userId: won.userId,
    displayName: winner.displayName,
  });
});

describe("tracing a sign-up", () => {
  /** A `/_dev` answer (operator endpoints, outside the services' conventions). */
  async function devJson<T>(path: string): Promise<T | undefined> {
    const res = await fetch(`${dev.url}${path}`);
    if (res.status === 404) return undefined;
    expect(res.status, `${path}: ${res.status}`).toBe(200);
    expect(res.headers.get("content-type")).toBe(JSON_TYPE);
    return (await res.json()) as T;
  }

  /** Reads until `done` (segments arrive over UDP), at most `timeoutMs`; then returns the last reading anyway. */
  async function readUntil<T>(read: () => Promise<T | undefined>, done: (value: T) => boolean, timeoutMs = 10_000) {
    const deadline = Date.now() + timeoutMs;
    let value = await read();
    while ((value === undefined || !done(value)) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      value = await read();
    }
    expect(value, "nothing was read").toBeDefined();
    return value as T;
  }

  const EXPECTED_CALLS = [
    "CognitoIdentityProvider SignUp",
    "CognitoIdentityProvider AdminConfirmSignUp",
    "DynamoDB PutItem",
    "DynamoDB TransactWriteItems",
  ];

  const signupCalls = (entries: TraceEntry[]) => callsIn(entries, "UsersSignup");
  const publisherCalls = (entries: TraceEntry[]) => callsIn(entries, "UsersOutboxPublisher");
  const callNames = (calls: readonly TraceEntry[]) => calls.map((c) => `${c.name} ${c.operation}`);
  /** A trace's (sub)segments read through the X-Ray API; undefined while it holds none of them. */
  const xrayEntries = async (id: string) => {
    const entries = traceEntries(await xray.traceDocuments(id));
    return entries.length === 0 ? undefined : entries;
  };

  let xray: XrayReader;
  let traceId: string;
  beforeAll(async () => {
    xray = xrayReader(dev.clientConfig("xray"));
    const reply = await call("POST", "/users/signup", {
      json: { email: uniqueEmail("Tracy"), password: "password-tracy", displayName: "Tracy" },
    });
    expectOk(reply, 201);
    traceId = TRACE_HEADER.exec(reply.headers.get("x-amzn-trace-id") ?? "")?.[1] ?? "";
  });
  afterAll(() => xray?.client.destroy());

  test("its trace (BatchGetTraces): UsersSignup under the API stage calls Cognito and DynamoDB; its event leaves from the outbox", async () => {
    const entries = await readUntil(
      () => xrayEntries(traceId),
      (t) => {
        const { calls } = signupCalls(t);
        const published = publisherCalls(t).calls;
        return (
          EXPECTED_CALLS.every((c) => callNames(calls).includes(c)) &&
          calls.every((c) => !c.inProgress) &&
          published.some((c) => c.operation === "PutEvents" && !c.inProgress)
        );
      },
    );
    const { segment: fn, calls } = signupCalls(entries);
    expect(fn, outline(entries)).toMatchObject({
      kind: "segment",
      origin: "AWS::Lambda::Function",
      error: false,
      fault: false,
    });
    const stage = entries.find((e) => e.id === fn?.parentId);
    expect(stage).toMatchObject({ kind: "segment", origin: "AWS::ApiGateway::Stage", status: 201 });
    expect(stage?.parentId).toBeUndefined();

    expect(callNames(calls)).toEqual(expect.arrayContaining(EXPECTED_CALLS));
    for (const c of calls) expect(c).toMatchObject({ status: 200, inProgress: false, error: false, fault: false });
    const claim = calls.find((c) => c.operation === "PutItem");
    expect(claim?.tableName).toBe(dev.resources.UsersTable?.name);
    // The function publishes nothing itself: the event commits with the profile, and the users outbox publisher, fed
    // by the table's stream, sends it to the bus after the commit, in the same trace.
    expect(callNames(calls)).not.toContain("EventBridge PutEvents");
    const commit = calls.find((c) => c.operation === "TransactWriteItems")!;
    const publisher = publisherCalls(entries);
    expect(publisher.segment).toMatchObject({
      kind: "segment",
      origin: "AWS::Lambda::Function",
      error: false,
      fault: false,
    });
    const publish = publisher.calls.find((c) => c.operation === "PutEvents")!;
    expect(publish).toMatchObject({ status: 200, error: false, fault: false });
    expect(publish.start).toBeGreaterThanOrEqual(commit.end ?? Number.POSITIVE_INFINITY);

    // GetTraceSummaries finds it by the function that ran, with the stage as its entry point.
    const { summaries } = await xray.summaries('service("UsersSignup")', { sinceMs: 600_000 });
    expect(summaries.find((s) => s.Id === traceId)).toMatchObject({
      HasFault: false,
      HasError: false,
      EntryPoint: { Name: stage?.name, Type: "AWS::ApiGateway::Stage" },
    });

    // The operator endpoints list it, and show it as a timeline.
    const list = await devJson<{ items: TraceSummary[] }>("/_dev/traces?limit=100");
    expect(list?.items).toContainEqual(
      expect.objectContaining({ traceId, root: stage?.name, error: false, fault: false }),
    );
    const timeline = await devJson<TraceTimeline>(`/_dev/traces/${traceId}`);
    expect(timeline).toMatchObject({ traceId, entries: expect.any(Array), links: expect.any(Array) });
    // Read after the documents, it holds at least what they held (the bus consumer may have arrived since).
    expect(timeline?.entries.map((e) => e.id)).toEqual(expect.arrayContaining(entries.map((e) => e.id)));
  });

  test("a client's 4xx is an error in its trace, not a fault; the handler subsegment is named after the handler", async () => {
    const refused = await call("POST", "/users/signup", { json: {} });
    expect(refused.status).toBe(400);
    const refusedId = TRACE_HEADER.exec(refused.headers.get("x-amzn-trace-id") ?? "")?.[1] ?? "";
    const handlerName = "## services/users/routes/signup.handler";
    const entries = await readUntil(
      () => xrayEntries(refusedId),
      (t) => t.some((e) => e.name === handlerName && !e.inProgress),
    );
    const handler = entries.find((e) => e.name === handlerName);
    expect(handler, outline(entries)).toMatchObject({ error: true, fault: false });
    expect(entries.filter((e) => e.fault)).toEqual([]);
    expect(entries.find((e) => e.origin === "AWS::ApiGateway::Stage")).toMatchObject({ status: 400, fault: false });
  });

  test("GET /_dev/service-map: edges from UsersSignup to Cognito and the users table, from its outbox publisher to EventBridge", async () => {
    const signup = { name: "UsersSignup", type: "AWS::Lambda::Function" };
    const wanted = [
      { type: "AWS::CognitoIdentityProvider" },
      { type: "AWS::DynamoDB::Table", name: dev.resources.UsersTable?.name },
    ];
    const nodeOf = (map: ServiceMap, id: string) => map.nodes.find((n) => n.id === id);
    const signupId = (map: ServiceMap) => map.nodes.find((n) => n.name === signup.name && n.type === signup.type)?.id;
    /** For each wanted target, the edge from UsersSignup to it (undefined while there is none). */
    const edgesTo = (map: ServiceMap) =>
      wanted.map((w) =>
        map.edges.find((e) => {
          const node = e.source === signupId(map) ? nodeOf(map, e.target) : undefined;
          return node?.type.startsWith(w.type) && (w.name === undefined || node.name === w.name);
        }),
      );
    const map = await readUntil(
      () => devJson<ServiceMap>("/_dev/service-map"),
      (m) => edgesTo(m).every(Boolean),
    );

    expect(map.nodes).toContainEqual(expect.objectContaining(signup));
    const fromSignup = map.edges.filter((e) => e.source === signupId(map)).map((e) => nodeOf(map, e.target));
    edgesTo(map).forEach((edge, i) => {
      expect(edge, `no edge to ${JSON.stringify(wanted[i])} among ${JSON.stringify(fromSignup)}`).toBeDefined();
      // At least one call went through cleanly. The refused sign-ups of the other tests count too: an AWS call that
      // failed with a 4xx (a conditional check) is the caller's error, not a fault.
      const clean = (edge?.requests ?? 0) - (edge?.errors ?? 0) - (edge?.faults ?? 0);
      expect(clean, JSON.stringify(edge)).toBeGreaterThan(0);
    });
    const callers = map.edges.filter((e) => e.target === signupId(map)).map((e) => nodeOf(map, e.source));
    expect(callers).toContainEqual(expect.objectContaining({ type: "AWS::ApiGateway::Stage" }));
    // Only the publisher reaches the bus.
    expect(fromSignup.map((n) => n?.type)).not.toContain("AWS::Events");
    const publisherId = map.nodes.find((n) => n.name === "UsersOutboxPublisher")?.id;
    const fromPublisher = map.edges.filter((e) => e.source === publisherId).map((e) => nodeOf(map, e.target)?.type);
    expect(fromPublisher).toContain("AWS::Events");
  });
});

test("GET /docs shows the users API, and /docs/users.json is the document generated from the route definitions", async () => {
  const page = await fetch(`${dev.url}/docs`);
  expect(page.status).toBe(200);
  expect(page.headers.get("content-type")).toMatch(/^text\/html/);
  expect(await page.text()).toContain("users");

  const served = await fetch(`${dev.url}/docs/users.json`);
  expect(served.status).toBe(200);
  // Its servers are the gateway the request reached.
  const generated = openApiDocument(buildTopology(services), "users", { localOrigin: dev.url });
  expect(await served.json()).toEqual(JSON.parse(JSON.stringify(generated)));
  expect(Object.keys(generated?.paths ?? {}).sort()).toEqual(["/me", "/refresh", "/signin", "/signup", "/{userId}"]);
});

test("GET /docs/asyncapi.json names the destinations npm run dev provisioned and its emulators as servers", async () => {
  const res = await fetch(`${dev.url}/docs/asyncapi.json`);
  expect(res.status).toBe(200);
  const doc = (await res.json()) as AsyncApiDocument;
  const topology = buildTopology(services);
  for (const contract of Object.values(topology.events)) {
    const channel = Object.values(doc.channels).find((c) => c.title === contract.type);
    // The address on stage `local` is the very bus, topic, queue or stream the runtime created.
    expect(channel?.address.replace("{stage}", "local"), contract.type).toBe(
      dev.resources[resourceNameFor(contract)]?.name,
    );
    const local = doc.servers[`local-${contract.transport}`];
    expect(channel?.servers.map((s) => s.$ref)).toContain(`#/servers/local-${contract.transport}`);
    expect(local?.host).toBe(new URL(dev.clientConfig(contract.transport).endpoint).host);
  }
});
