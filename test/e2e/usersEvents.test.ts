import { randomUUID } from "node:crypto";
import {
  EventBridgeClient,
  PutEventsCommand,
  type PutEventsRequestEntry,
  PutRuleCommand,
  PutTargetsCommand,
} from "@aws-sdk/client-eventbridge";
import { KinesisClient, PutRecordsCommand } from "@aws-sdk/client-kinesis";
import { DeleteMessageBatchCommand, type Message, ReceiveMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import * as v from "valibot";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { PostCreated, ThreadCreated } from "../../events/forums.js";
import { MediaProcessed } from "../../events/media.js";
import { UserProfileUpdated, UserRegistered } from "../../events/users.js";
import { resetAwsClients } from "../../shared/aws/index.js";
import { linkEnv, resetResourceCache } from "../../shared/config.js";
import type { EventContract, PayloadInput } from "../../shared/events/defineEvent.js";
import { type Envelope, envelopeSchema } from "../../shared/events/envelope.js";
import { logger } from "../../shared/logging/index.js";
import { publish } from "../../shared/publish/index.js";
import { outgoingEvents } from "../../shared/publish/outgoingEvents.js";
import { parseTraceHeader } from "../../shared/tracing/traceHeader.js";
import { type DevServer, startDev } from "../support/devServer.js";
import { createQueue } from "../support/transportWiring.js";
import {
  ancestorsOf,
  callsIn,
  linksBothWays,
  linksOf,
  linksSeenBothWays,
  outline,
  type TraceEntry,
  traceEntries,
  type XrayReader,
  xrayReader,
} from "../support/xray.js";

/**
 * The users service's events through a real `npm run dev`: what it consumes (forum activity over the bus and the
 * post stream, processed media over SNS), published as its producers will publish them, and what it publishes.
 */
let dev: DevServer;
let sqs: SQSClient;
let bus: EventBridgeClient;
let kinesis: KinesisClient;
let xray: XrayReader;
const savedEnv = { ...process.env };
logger.setLogLevel("SILENT");

beforeAll(async () => {
  dev = await startDev();
  sqs = new SQSClient(dev.clientConfig("sqs"));
  bus = new EventBridgeClient(dev.clientConfig("eventbridge"));
  kinesis = new KinesisClient({ ...dev.clientConfig("kinesis"), requestHandler: new NodeHttpHandler() });
  xray = xrayReader(dev.clientConfig("xray"));
  // `publish()` here is the producers' own: it finds the emulators and the linked resources in the environment.
  Object.assign(
    process.env,
    dev.env,
    ...["Bus", "MediaMediaProcessedTopic", "ForumsPostCreatedStream"].map((name) =>
      linkEnv(name, dev.resources[name]!),
    ),
  );
  resetAwsClients();
  resetResourceCache();
}, 90_000);

afterAll(async () => {
  for (const name of Object.keys(process.env)) if (!(name in savedEnv)) delete process.env[name];
  Object.assign(process.env, savedEnv);
  resetAwsClients();
  resetResourceCache();
  for (const client of [sqs, bus, kinesis, xray?.client]) client?.destroy();
  await dev?.stop();
}, 30_000);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Probes until `done` holds or the deadline passes; returns the last value, for the caller to assert on. */
async function eventually<T>(probe: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let value = await probe();
  while (!done(value) && Date.now() < deadline) {
    await sleep(200);
    value = await probe();
  }
  return value;
}

/** For tests that poll: a failing poll waits out its deadline, and the assertion after it should be what reports. */
const slow = { timeout: 60_000 };

const uid = (prefix: string) => `${prefix}-${randomUUID().slice(0, 8)}`;
const now = () => new Date().toISOString();

// ---- the gateway ----------------------------------------------------------------------------------------------

interface Reply {
  status: number;
  body: Record<string, unknown>;
  headers: Headers;
  /** The `x-correlation-id` the request sent, if any. */
  correlationId?: string;
}

async function api(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${dev.url}${path}`, {
    method,
    headers: { ...(body === undefined ? {} : { "content-type": "application/json" }), ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  const correlationId = headers["x-correlation-id"];
  return {
    status: res.status,
    body: text ? JSON.parse(text) : {},
    headers: res.headers,
    ...(correlationId ? { correlationId } : {}),
  } as Reply;
}

interface User {
  userId: string;
  email: string;
  displayName: string;
  token: string;
  signup: Reply;
}

/** Signs a new user up and in through the gateway. */
async function signUp(headers: Record<string, string> = {}): Promise<User> {
  const email = `${uid("user")}@example.com`;
  const password = "Sup3r-secret-pass";
  const displayName = uid("Name");
  const signup = await api("POST", "/users/signup", { email, password, displayName }, headers);
  expect(signup.status, JSON.stringify(signup.body)).toBe(201);
  const signin = await api("POST", "/users/signin", { email, password });
  expect(signin.status, JSON.stringify(signin.body)).toBe(200);
  const userId = signup.body.userId as string;
  return { userId, email, displayName, token: signin.body.accessToken as string, signup };
}

const patchMe = (user: User, body: unknown, headers: Record<string, string> = {}) =>
  api("PATCH", "/users/me", body, { authorization: `Bearer ${user.token}`, ...headers });

const publicProfile = (userId: string) => api("GET", `/users/${userId}`);

async function stats(userId: string): Promise<{ threads: number; posts: number }> {
  const { status, body } = await publicProfile(userId);
  expect(status).toBe(200);
  return body.stats as { threads: number; posts: number };
}

/** Polls the user's stats until `done` holds (or the deadline), then returns them. */
const statsWhen = (userId: string, done: (s: { threads: number; posts: number }) => boolean) =>
  eventually(() => stats(userId), done);

// ---- the producers' side ----------------------------------------------------------------------------------------

/** The envelope `publish()` would send for this payload (the project's own builder), to send raw. */
function envelopeOf<C extends EventContract>(contract: C, payload: PayloadInput<C>): Envelope {
  return outgoingEvents(contract, [payload])[0]!.envelope;
}

/** Puts envelopes on the bus as the publisher does (`summit.<domain>`, detail-type = type); returns the event ids. */
async function putOnBus(...envelopes: object[]): Promise<string[]> {
  const entries = envelopes.map(
    (envelope): PutEventsRequestEntry => ({
      EventBusName: dev.resources.Bus!.name!,
      Source: `summit.${(envelope as Envelope).producer}`,
      DetailType: (envelope as Envelope).type,
      Detail: JSON.stringify(envelope),
    }),
  );
  const out = await bus.send(new PutEventsCommand({ Entries: entries }));
  expect(out.FailedEntryCount ?? 0).toBe(0);
  return out.Entries!.map((entry) => entry.EventId!);
}

/** Puts envelopes on the post stream as the publisher does (keyed by `threadId`); returns the sequence numbers. */
async function putOnStream(...envelopes: object[]): Promise<string[]> {
  const out = await kinesis.send(
    new PutRecordsCommand({
      StreamName: dev.resources.ForumsPostCreatedStream!.name!,
      Records: envelopes.map((envelope) => ({
        PartitionKey: (envelope as Envelope<string, { threadId: string }>).data.threadId,
        Data: Buffer.from(JSON.stringify(envelope), "utf8"),
      })),
    }),
  );
  expect(out.FailedRecordCount ?? 0).toBe(0);
  return out.Records!.map((record) => record.SequenceNumber!);
}

const thread = (authorId: string) => ({
  threadId: uid("t"),
  forumId: "f-e2e",
  authorId,
  title: "A thread",
  createdAt: now(),
});
const post = (authorId: string, threadId = uid("t")) => ({
  postId: uid("p"),
  threadId,
  forumId: "f-e2e",
  authorId,
  createdAt: now(),
});

/** A contract-invalid copy of a real envelope: its payload lacks `authorId`. */
function withoutAuthor(envelope: Envelope): Envelope {
  const { authorId: _authorId, ...data } = envelope.data as Record<string, unknown>;
  return { ...envelope, data };
}

/** What a consumer logged with `message`: its JSON lines in the dev's output (complete lines only). */
function consumerLogs(fn: string, message: string): Record<string, unknown>[] {
  const prefix = `[${fn}] `;
  return dev
    .output()
    .split("\n")
    .slice(0, -1)
    .filter((line) => line.startsWith(`${prefix}{`))
    .map((line) => JSON.parse(line.slice(prefix.length)) as Record<string, unknown>)
    .filter((entry) => entry.message === message);
}

// ---- queues -------------------------------------------------------------------------------------------------------

/** Everything received from a queue so far (each message deleted once read); `until` long-polls for more. */
function mailbox(queueUrl: string) {
  const received: Message[] = [];
  const poll = async () => {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 1,
        MessageAttributeNames: ["All"],
      }),
    );
    if (Messages.length > 0) {
      received.push(...Messages);
      await sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })),
        }),
      );
    }
    return received;
  };
  return {
    until: (done: (messages: readonly Message[]) => boolean, timeoutMs?: number) => eventually(poll, done, timeoutMs),
  };
}

const attribute = (message: Message | undefined, name: string) => message?.MessageAttributes?.[name]?.StringValue;

// ---- 1. and 2. forum activity ----------------------------------------------------------------------------------

/** One forum event as the users service consumes it: its transport, its consumer and how to make one. */
interface Activity {
  readonly event: string;
  readonly contract: EventContract;
  readonly source: "eventbridge" | "kinesis";
  readonly stat: "threads" | "posts";
  /** The consumer function, and its DLQ. */
  readonly consumer: "UsersThreadCreated" | "UsersPostCreated";
  readonly skipped: string;
  readonly idField: "threadId" | "postId";
  /** A new payload of `authorId`; with `after`, one its transport delivers after `after` (a sentinel). */
  readonly payload: (authorId: string, after?: Record<string, string>) => Record<string, string>;
  /** Sends envelopes raw, as the publisher would; returns the transport's record ids. */
  readonly sendRaw: (...envelopes: object[]) => Promise<string[]>;
}

const activities: Activity[] = [
  {
    event: "ThreadCreated over EventBridge",
    contract: ThreadCreated,
    source: "eventbridge",
    stat: "threads",
    consumer: "UsersThreadCreated",
    skipped: "thread already counted",
    idField: "threadId",
    payload: (authorId) => thread(authorId),
    sendRaw: putOnBus,
  },
  {
    event: "PostCreated over Kinesis",
    contract: PostCreated,
    source: "kinesis",
    stat: "posts",
    consumer: "UsersPostCreated",
    skipped: "post already counted",
    idField: "postId",
    // The same thread is the same partition key: one shard, read in order.
    payload: (authorId, after) => post(authorId, after?.threadId),
    sendRaw: putOnStream,
  },
];

const counted = (activity: Activity, n: number) => ({ threads: 0, posts: 0, [activity.stat]: n });

describe.each(activities)("$event", (activity) => {
  test("raises the author's stats once, however often the event is delivered", slow, async () => {
    const author = await signUp();
    const first = activity.payload(author.userId);
    const envelope = envelopeOf(activity.contract, first);
    await activity.sendRaw(envelope, envelope); // the very same envelope delivered twice
    await publish(activity.contract, { ...first, createdAt: now() }); // the producer publishing it again

    expect(await statsWhen(author.userId, (s) => s[activity.stat] >= 1)).toEqual(counted(activity, 1));
    // Bus deliveries are concurrent asynchronous invocations, so a sentinel alone could overtake a duplicate: the
    // consumer's own account of each skipped delivery shows that all three were processed and the count is final.
    const skipped = await eventually(
      async () =>
        consumerLogs(activity.consumer, activity.skipped).filter(
          (l) => l[activity.idField] === first[activity.idField],
        ),
      (lines) => lines.length >= 2,
    );
    expect(skipped).toHaveLength(2);
    // The sentinel: a later event of the same author is counted on top of exactly one.
    await publish(activity.contract, activity.payload(author.userId, first));
    expect(await statsWhen(author.userId, (s) => s[activity.stat] >= 2)).toEqual(counted(activity, 2));
  });

  test("a contract-invalid event goes to the consumer's DLQ with its reason and blocks nothing", slow, async () => {
    const author = await signUp();
    const poison = withoutAuthor(envelopeOf(activity.contract, activity.payload(author.userId)));
    const [recordId] = await activity.sendRaw(poison);
    // A valid event after it (on a stream: the same key, so the same shard, behind the poison record).
    await publish(activity.contract, activity.payload(author.userId, poison.data as Record<string, string>));
    expect(await statsWhen(author.userId, (s) => s[activity.stat] >= 1)).toEqual(counted(activity, 1));

    const dlq = mailbox(dev.resources[`${activity.consumer}Dlq`]!.url!);
    const isPoison = (m: Message) => attribute(m, "recordId") === recordId;
    const dead = (await dlq.until((messages) => messages.some(isPoison))).find(isPoison);
    expect(attribute(dead, "errorCode")).toBe("InvalidPayload");
    expect(attribute(dead, "errorMessage")).toContain("authorId");
    expect(attribute(dead, "eventType")).toBe(poison.type);
    expect(attribute(dead, "source")).toBe(activity.source);
    expect(attribute(dead, "bodyEncoding")).toBe("text");
    // The body is the record as it arrived: the bus event around the envelope, or the stream record's data.
    const body = JSON.parse(dead!.Body!) as Record<string, unknown>;
    expect(activity.source === "eventbridge" ? body.detail : body).toEqual(poison);
  });
});

// ---- 3. avatars from processed media ----------------------------------------------------------------------------

function media(ownerId: string, status: "ready" | "failed"): PayloadInput<typeof MediaProcessed> {
  const mediaId = uid("m");
  return {
    mediaId,
    ownerId,
    purpose: "avatar",
    status,
    contentType: "image/png",
    processedAt: now(),
    ...(status === "ready"
      ? {
          width: 512,
          height: 512,
          url: `https://cdn.example.com/media/${mediaId}/full.png`,
          thumbnailUrl: `https://cdn.example.com/media/${mediaId}/thumb.png`,
        }
      : { failureReason: "not an image" }),
  };
}

/**
 * PATCHes until `done` (by default: until it is not a 403, which is what an avatar gets until the media consumer has
 * recorded its item). A refused PATCH changes nothing.
 */
const patchUntil = (
  user: User,
  body: Record<string, unknown>,
  headers: Record<string, string> = {},
  done = (reply: Reply) => reply.status !== 403,
) => eventually(() => patchMe(user, body, headers), done);

const NOT_YOURS = "is not one of your ready images";

describe("MediaProcessed over SNS", () => {
  test(
    "a ready image of the caller's own becomes their avatar; others, failed and unknown media do not",
    slow,
    async () => {
      const [owner, other] = [await signUp(), await signUp()];
      const ready = media(owner.userId, "ready");
      const failed = media(owner.userId, "failed");
      await publish(MediaProcessed, ready);
      await publish(MediaProcessed, failed);
      const avatar = { mediaId: ready.mediaId, url: ready.url, thumbnailUrl: ready.thumbnailUrl };

      const set = await patchUntil(owner, { avatarMediaId: ready.mediaId });
      expect(set.status, JSON.stringify(set.body)).toBe(200);
      expect(set.body.avatar).toEqual(avatar);
      expect((await publicProfile(owner.userId)).body.avatar).toEqual(avatar);
      expect(
        (await api("GET", "/users/me", undefined, { authorization: `Bearer ${owner.token}` })).body.avatar,
      ).toEqual(avatar);

      const stolen = await patchMe(other, { avatarMediaId: ready.mediaId });
      expect([stolen.status, stolen.body.detail]).toEqual([403, `media ${ready.mediaId} ${NOT_YOURS}`]);
      // Recorded, but failed: the reply names the status, not an unknown item.
      const notReady = await patchUntil(
        owner,
        { avatarMediaId: failed.mediaId },
        {},
        (reply) => reply.body.detail !== `media ${failed.mediaId} ${NOT_YOURS}`,
      );
      expect([notReady.status, notReady.body.detail]).toEqual([403, `media ${failed.mediaId} is not a ready image`]);
      const unknown = await patchMe(owner, { avatarMediaId: uid("m") });
      expect(unknown.status).toBe(403);
      expect((await publicProfile(owner.userId)).body.avatar).toEqual(avatar);

      const removed = await patchMe(owner, { avatarMediaId: null });
      expect([removed.status, removed.body.avatar]).toEqual([200, null]);
      expect((await publicProfile(owner.userId)).body.avatar).toBeNull();
    },
  );
});

// ---- 4. what the users service publishes ------------------------------------------------------------------------

interface BusEvent {
  readonly source: string;
  readonly "detail-type": string;
  readonly detail: Envelope<string, { userId: string }>;
}

describe("the users service's own events, captured from the bus", () => {
  let captured: ReturnType<typeof mailbox>;

  beforeAll(async () => {
    const queue = await createQueue(sqs, "users-events");
    const rule = uid("users-events");
    const busName = dev.resources.Bus!.name!;
    await bus.send(
      new PutRuleCommand({
        Name: rule,
        EventBusName: busName,
        EventPattern: JSON.stringify({ source: ["summit.users"] }),
      }),
    );
    const out = await bus.send(
      new PutTargetsCommand({ Rule: rule, EventBusName: busName, Targets: [{ Id: "capture", Arn: queue.arn }] }),
    );
    expect(out.FailedEntryCount ?? 0).toBe(0);
    captured = mailbox(queue.url);
  });

  /** The envelope frame of an event published while serving `reply`: its correlation id and trace. */
  function expectEnvelope(event: BusEvent, reply: Reply) {
    const envelope = v.parse(envelopeSchema, event.detail);
    expect(event.source).toBe("summit.users");
    expect(event["detail-type"]).toBe(envelope.type);
    expect(envelope).toMatchObject({ version: 1, producer: "users", correlationId: reply.correlationId });
    expect(parseTraceHeader(envelope.traceHeader)?.root).toBe(
      parseTraceHeader(reply.headers.get("x-amzn-trace-id"))?.root,
    );
  }

  /** The bus events captured for `userId`, in arrival order. */
  const eventsOf = (messages: readonly Message[], userId: string) =>
    messages.map((m) => JSON.parse(m.Body!) as BusEvent).filter((event) => event.detail.data.userId === userId);

  test(
    "UserRegistered on sign-up, UserProfileUpdated naming exactly what changed, nothing for a no-op",
    slow,
    async () => {
      const correlation = (step: string) => ({ "x-correlation-id": `${step}-${randomUUID()}` });
      const user = await signUp(correlation("signup"));
      const ready = media(user.userId, "ready");
      await publish(MediaProcessed, ready);

      const renamed = await patchMe(user, { displayName: "Renamed" }, correlation("rename"));
      const unchanged = await patchMe(user, { displayName: "Renamed", bio: null }, correlation("same")); // as it is
      const bio = await patchMe(user, { bio: "Writes about forums" }, correlation("bio"));
      // 403 (publishing nothing) until the media consumer has recorded the image.
      const headers = correlation("avatar");
      const avatar = await patchUntil(user, { displayName: "Renamed again", avatarMediaId: ready.mediaId }, headers);
      const updates = [
        { reply: renamed, changed: ["displayName"] },
        { reply: bio, changed: ["bio"] },
        { reply: avatar, changed: ["displayName", "avatar"] },
      ];
      for (const { reply } of [...updates, { reply: unchanged }])
        expect(reply.status, JSON.stringify(reply.body)).toBe(200);
      expect(unchanged.body).toEqual(renamed.body);

      // Every update is in once the last one is (they were published in order); a short drain catches any straggler.
      const updated = (messages: readonly Message[]) =>
        eventsOf(messages, user.userId).filter((e) => e.detail.type === UserProfileUpdated.type);
      await captured.until((messages) => updated(messages).length >= updates.length);
      const events = eventsOf(await captured.until(() => false, 1_000), user.userId);

      const registered = events.filter((e) => e.detail.type === UserRegistered.type);
      expect(registered).toHaveLength(1);
      expectEnvelope(registered[0]!, user.signup);
      expect(v.parse(UserRegistered.schema, registered[0]!.detail.data)).toEqual(user.signup.body);

      const profileUpdates = events
        .filter((e) => e.detail.type === UserProfileUpdated.type)
        .sort((a, b) => a.detail.time.localeCompare(b.detail.time));
      expect(profileUpdates).toHaveLength(updates.length);
      updates.forEach(({ reply, changed }, i) => {
        expectEnvelope(profileUpdates[i]!, reply);
        expect(v.parse(UserProfileUpdated.schema, profileUpdates[i]!.detail.data)).toEqual({
          userId: user.userId,
          displayName: reply.body.displayName,
          avatar: reply.body.avatar,
          changed,
          updatedAt: reply.body.updatedAt,
        });
      });
    },
  );
});

describe("a sign-up's trace", () => {
  test(
    "shows its bus consumer in the same trace: UsersSignup → UsersOutboxPublisher → EventBridge → ForumsAuthors",
    slow,
    async () => {
      const user = await signUp();
      const traceId = parseTraceHeader(user.signup.headers.get("x-amzn-trace-id"))!.root;
      const segment = (entries: TraceEntry[], name: string) =>
        entries.find((e) => e.kind === "segment" && e.name === name && !e.inProgress);
      const documents = await xray
        .waitForTrace(traceId, (docs) => segment(traceEntries(docs), "ForumsAuthors") !== undefined, 20_000)
        .catch(() => xray.traceDocuments(traceId));
      const entries = traceEntries(documents);
      const consumer = segment(entries, "ForumsAuthors");
      expect(consumer, `no ForumsAuthors in ${traceId}:\n${outline(entries)}`).toBeDefined();
      expect(consumer).toMatchObject({ origin: "AWS::Lambda::Function", error: false, fault: false });
      // The consumer annotated the record it handled with its event type, searchable in X-Ray.
      const handled = entries.find((e) => e.segmentId === consumer!.id && e.annotations.eventType !== undefined);
      expect(handled?.annotations).toMatchObject({ eventType: UserRegistered.type, source: "eventbridge" });

      // The consumer hangs under the publisher's publish, in the publisher's segment of this trace, after the commit.
      const chain = ancestorsOf(entries, consumer!.id).map((e) => e.name);
      expect(chain[0]).toBe(`publish ${UserRegistered.type}`);
      expect(chain.filter((name) => ["UsersOutboxPublisher", "UsersSignup"].includes(name))).toEqual([
        "UsersOutboxPublisher",
        "UsersSignup",
      ]);
      const put = entries.find((e) => e.parentId === consumer!.parentId && e.operation === "PutEvents");
      expect(put).toMatchObject({ namespace: "aws", error: false, fault: false, inProgress: false });

      // The publisher's own invocation is a trace of its own (a stream starts one), whose record links here via the
      // stream, to the subsegment that committed the outbox item; the bus consumer, in this trace, links nowhere.
      const linked = await eventually(
        () => xray.linkedFrom(traceId),
        (traces) => traces.length > 0,
      );
      expect(linked.map((t) => t.links)).toEqual([
        [{ trace_id: traceId, id: expect.any(String), attributes: { "messaging.system": "dynamodb-streams" } }],
      ]);
      const commit = entries.find((e) => e.id === linked[0]!.links[0]!.id);
      expect(commit?.name).toMatch(/^outbox /);
      expect(commit?.segmentId).toBe(callsIn(entries, "UsersSignup").segment?.id);
      expect(linksOf(documents)).toEqual([]);
      const [publisher] = linked;
      expect(callsIn(traceEntries(publisher!.documents), "UsersOutboxPublisher").segment).toBeDefined();

      // `/_dev/traces/{traceId}` names the same links, both ways, as the X-Ray documents hold.
      expect(linksBothWays(traceId, documents, linked)).toEqual([
        { traceId: publisher!.traceId, direction: "out", via: "dynamodb-streams" },
      ]);
      for (const id of [traceId, publisher!.traceId]) {
        const seen = await linksSeenBothWays(xray, dev.url, id);
        expect(seen.dev, id).toEqual(seen.documents);
      }
      expect((await linksSeenBothWays(xray, dev.url, publisher!.traceId)).dev).toContainEqual({
        traceId,
        direction: "in",
        via: "dynamodb-streams",
      });
    },
  );
});
