import { GetObjectCommand, HeadObjectCommand, S3Client } from "@aws-sdk/client-s3";
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from "aws-lambda";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { checkPresigned, secretIsKeyId } from "../../local/emulators/s3Presigned.js";
import { handler as createUpload } from "../../services/media/routes/createUpload.js";
import { handler as getMediaRoute } from "../../services/media/routes/getMedia.js";
import media from "../../services/media/service.js";
import { getMedia, markFailed, markReady, objectKeys, publicUrl } from "../../services/media/store/index.js";
import { ABANDONED_GRACE_SECONDS, createPending, UPLOAD_TTL_SECONDS } from "../../services/media/store/media.js";
import { presignUpload } from "../../services/media/store/uploads.js";
import { resetAwsClients } from "../../shared/aws/index.js";
import { logger } from "../../shared/logging/index.js";
import { apiEvent, lambdaContext } from "../support/apiEvents.js";
import { useEmulators } from "../support/emulators.js";
import { useLinks } from "../support/links.js";
import { provisioned } from "../support/provisioned.js";

/**
 * Uploads over the wire: the route handlers called as Lambda calls them, DynamoDB Local for the items, and the
 * presigned PUT sent with `fetch` to the local S3 (fauxqs behind the proxy that checks presigned signatures, signed
 * headers and expiry as S3 does), the table and bucket provisioned from the service definition.
 */
const emulators = useEmulators();
const link = useLinks();
const prefix = `media-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
const s3 = new S3Client({ ...emulators.clientConfig("s3"), forcePathStyle: true });
let bucket = "";
vi.spyOn(logger, "info").mockImplementation(() => {});

beforeAll(async () => {
  const resources = await provisioned(emulators, [media], prefix);
  const { MediaTable, MediaBucket } = resources;
  if (!MediaTable || !MediaBucket) throw new Error(`provisioned only ${Object.keys(resources).join(", ")}`);
  bucket = MediaBucket.name!;
  link({ MediaTable, MediaBucket });
});

afterAll(() => {
  resetAwsClients();
  s3.destroy();
});

interface Answer {
  readonly status: number;
  readonly body: Record<string, unknown>;
  readonly headers: Record<string, string>;
}

async function call(
  handler: (event: APIGatewayProxyEvent, context: ReturnType<typeof lambdaContext>) => Promise<APIGatewayProxyResult>,
  request: {
    method: string;
    resource: string;
    path: string;
    pathParameters?: Record<string, string>;
    body?: unknown;
    userId?: string;
  },
): Promise<Answer> {
  const result = await handler(
    apiEvent({
      httpMethod: request.method,
      resource: request.resource,
      path: `/media${request.path}`,
      headers: { "content-type": "application/json" },
      body: request.body === undefined ? null : JSON.stringify(request.body),
      pathParameters: request.pathParameters ?? null,
      ...(request.userId ? { claims: { sub: request.userId, token_use: "access" } } : {}),
    }),
    lambdaContext(),
  );
  const headers = Object.fromEntries(
    Object.entries(result.headers ?? {}).map(([k, v]) => [k.toLowerCase(), String(v)]),
  );
  return { status: result.statusCode, body: result.body ? JSON.parse(result.body) : undefined, headers };
}

const startUpload = (body: unknown, userId: string | undefined = "owner-1") =>
  call(createUpload, {
    method: "POST",
    resource: "/media/uploads",
    path: "/uploads",
    body,
    ...(userId ? { userId } : {}),
  });
const readMedia = (mediaId: string) =>
  call(getMediaRoute, {
    method: "GET",
    resource: "/media/{mediaId}",
    path: `/${mediaId}`,
    pathParameters: { mediaId },
  });

/** A PNG-looking body of exactly `n` bytes (the worker, not S3, decides whether it is an image). */
const bytes = (n: number) => Buffer.alloc(n, 7);

async function put(url: string, headers: Record<string, string>, body: Buffer) {
  const res = await fetch(url, { method: "PUT", headers, body });
  return { status: res.status, text: await res.text() };
}

describe("POST /media/uploads", () => {
  it("creates a pending item and a presigned PUT bound to the type and exact length", async () => {
    const answer = await startUpload({ contentType: "image/png", contentLength: 1234, purpose: "avatar" });
    expect(answer.status).toBe(201);
    const { mediaId, uploadUrl, uploadMethod, uploadHeaders, expiresAt } = answer.body as Record<string, string> &
      Record<string, unknown>;
    expect(uploadMethod).toBe("PUT");
    expect(uploadHeaders).toEqual({ "content-type": "image/png", "content-length": "1234" });
    const url = new URL(String(uploadUrl));
    expect(url.pathname).toBe(`/${bucket}/${objectKeys(String(mediaId)).original}`);
    expect(url.searchParams.get("X-Amz-SignedHeaders")).toBe("content-length;content-type;host");
    expect(url.searchParams.get("X-Amz-Expires")).toBe("900");
    expect([...url.searchParams.keys()].some((k) => k.startsWith("x-amz-checksum"))).toBe(false);
    expect(Date.parse(String(expiresAt)) - Date.now()).toBeGreaterThan(14 * 60_000);

    const read = await readMedia(String(mediaId));
    expect(read.status).toBe(200);
    expect(read.body).toEqual({
      mediaId,
      ownerId: "owner-1",
      purpose: "avatar",
      status: "pending",
      contentType: "image/png",
      createdAt: expect.any(String),
    });
  });

  it("lets the right bytes in (200) and refuses another length, another type, and a changed URL (403)", async () => {
    const answer = await startUpload({ contentType: "image/jpeg", contentLength: 2048, purpose: "product" });
    const { mediaId, uploadUrl, uploadHeaders } = answer.body as {
      mediaId: string;
      uploadUrl: string;
      uploadHeaders: Record<string, string>;
    };
    const longer = await put(uploadUrl, { "content-type": "image/jpeg" }, bytes(2049));
    expect(longer.status).toBe(403);
    expect(longer.text).toContain("<Code>SignatureDoesNotMatch</Code>");
    const otherType = await put(uploadUrl, { ...uploadHeaders, "content-type": "image/png" }, bytes(2048));
    expect(otherType.status).toBe(403);
    expect(otherType.text).toContain("<Code>SignatureDoesNotMatch</Code>");
    const elsewhere = await put(uploadUrl.replace("/original?", "/other?"), uploadHeaders, bytes(2048));
    expect(elsewhere.status).toBe(403);
    // Nothing was stored by the refused PUTs.
    await expect(
      s3.send(new HeadObjectCommand({ Bucket: bucket, Key: objectKeys(mediaId).original })),
    ).rejects.toThrow();

    const right = await put(uploadUrl, uploadHeaders, bytes(2048));
    expect(right.status).toBe(200);
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: objectKeys(mediaId).original }));
    expect(head.ContentLength).toBe(2048);
    expect(head.ContentType).toBe("image/jpeg");
    // Readers fetch objects at publicUrl: the local S3 stands in for the CDN.
    const fetched = await fetch(publicUrl(objectKeys(mediaId).original));
    expect(fetched.status).toBe(200);
    expect((await fetched.arrayBuffer()).byteLength).toBe(2048);
    expect((await readMedia(mediaId)).body.status).toBe("pending");
  });

  it("refuses an expired URL with S3's 403 AccessDenied", async () => {
    const item = (await getMedia(
      String((await startUpload({ contentType: "image/webp", contentLength: 10, purpose: "post" })).body.mediaId),
    ))!;
    const expired = await presignUpload(item, Date.now() - 16 * 60_000);
    const answer = await put(expired.uploadUrl, expired.uploadHeaders, bytes(10));
    expect(answer.status).toBe(403);
    expect(answer.text).toContain("<Code>AccessDenied</Code>");
    expect(answer.text).toContain("Request has expired");
  });

  it("answers 401 without a token, 415 for another type, 413 over 10 MiB, 400 for a bad length", async () => {
    const good = { contentType: "image/png", contentLength: 10, purpose: "avatar" };
    expect((await startUpload(good, "")).status).toBe(401);
    const gif = await startUpload({ ...good, contentType: "image/gif" });
    expect(gif.status).toBe(415);
    expect(gif.headers["content-type"]).toContain("application/problem+json");
    expect(gif.body.errors).toEqual([{ path: "body.contentType", message: expect.any(String) }]);
    const huge = await startUpload({ ...good, contentLength: 10 * 1024 * 1024 + 1 });
    expect(huge.status).toBe(413);
    expect((await startUpload({ ...good, contentLength: 10 * 1024 * 1024 })).status).toBe(201);
    for (const contentLength of [0, 1.5, -1, "10"])
      expect((await startUpload({ ...good, contentLength })).status, String(contentLength)).toBe(400);
    expect((await startUpload({ ...good, purpose: "banner" })).status).toBe(400);
    // Another violation beside the type: the 400 listing every field.
    const both = await startUpload({ ...good, contentType: "image/gif", purpose: "banner" });
    expect(both.status).toBe(400);
    expect((both.body.errors as unknown[]).length).toBe(2);
  });
});

describe("GET /media/{mediaId} and the worker's store", () => {
  it("is 404 for an unknown item", async () => {
    expect((await readMedia("nope")).status).toBe(404);
  });

  it("marks an item final exactly once: ready with its URLs, and a second decision changes nothing", async () => {
    const mediaId = String(
      (await startUpload({ contentType: "image/png", contentLength: 5, purpose: "avatar" })).body.mediaId,
    );
    const keys = objectKeys(mediaId);
    const ready = { width: 800, height: 600, url: publicUrl(keys.original), thumbnailUrl: publicUrl(keys.thumbnail) };
    expect(await markReady(mediaId, ready)).toBe(true);
    expect(await markReady(mediaId, ready)).toBe(false);
    expect(await markFailed(mediaId, "too late")).toBe(false);
    const read = await readMedia(mediaId);
    expect(read.body).toMatchObject({ status: "ready", ...ready });
    expect(read.body.failureReason).toBeUndefined();
    expect(await markFailed("unknown-item", "x")).toBe(false);
  });

  it("marks a bad upload failed with its reason", async () => {
    const mediaId = String(
      (await startUpload({ contentType: "image/png", contentLength: 5, purpose: "post" })).body.mediaId,
    );
    expect(await markFailed(mediaId, "not a PNG")).toBe(true);
    expect(await markReady(mediaId, { width: 1, height: 1, url: "http://x/a", thumbnailUrl: "http://x/b" })).toBe(
      false,
    );
    const read = await readMedia(mediaId);
    expect(read.body).toMatchObject({ status: "failed", failureReason: "not a PNG" });
    expect(read.body.url).toBeUndefined();
  });

  it("fails an item whose upload never came once its URL has expired (and a grace), and not before", async () => {
    const owner = { ownerId: "owner-1", purpose: "post", contentType: "image/png", contentLength: 5 } as const;
    const lateMs = (UPLOAD_TTL_SECONDS + ABANDONED_GRACE_SECONDS) * 1000;
    const recent = await createPending(owner, Date.now() - lateMs + 60_000);
    expect((await readMedia(recent.mediaId)).body).toMatchObject({ status: "pending" });
    const abandoned = await createPending(owner, Date.now() - lateMs - 1_000);
    const read = await readMedia(abandoned.mediaId);
    expect(read.body).toMatchObject({
      status: "failed",
      failureReason: "no upload arrived before its upload URL expired",
    });
    // Decided once: a late worker's verdict changes nothing.
    expect(
      await markReady(abandoned.mediaId, { width: 1, height: 1, url: "http://x/a", thumbnailUrl: "http://x/b" }),
    ).toBe(false);
  });
});

describe("the local S3's presigned check", () => {
  it("takes a URL signed by the SDK for a GET, and refuses one with an unknown key", async () => {
    const { getSignedUrl } = await import("@aws-sdk/s3-request-presigner");
    const url = await getSignedUrl(s3, new GetObjectCommand({ Bucket: bucket, Key: "media/none/original" }), {
      expiresIn: 60,
    });
    const parsed = new URL(url);
    const request = { method: "GET", url: parsed.pathname + parsed.search, headers: { host: parsed.host } };
    expect(checkPresigned(request, secretIsKeyId)).toBeUndefined();
    expect(checkPresigned(request, () => undefined)?.code).toBe("InvalidAccessKeyId");
    expect(checkPresigned(request, () => "another secret")?.code).toBe("SignatureDoesNotMatch");
    expect(checkPresigned(request, secretIsKeyId, Date.now() + 61_000)?.code).toBe("AccessDenied");
  });
});
