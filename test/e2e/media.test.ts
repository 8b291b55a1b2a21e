import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { Media } from "../../services/media/api.js";
import type { Product } from "../../services/products/api.js";
import type { Profile } from "../../services/users/api.js";
import { contentTypeOf, type FixtureFormat, makeImage } from "../fixtures/images/make.js";
import { type DevServer, startDev } from "../support/devServer.js";
import { type ImageType, mediaClient, percentile } from "../support/mediaClient.js";
import { type Account, ISO_TIME, newProduct, sleep, URL_SAFE_ID, uid } from "../support/productsClient.js";

/**
 * The media rows of the HTTP contract (api-contract.md, "Conventions" and "media"), end to end through a real
 * `npm run dev`, as a consumer uses them: `POST /media/uploads`, the presigned PUT of real image bytes (made by sharp)
 * to the local S3, `GET /media/{mediaId}` from pending to ready or failed, the original and the thumbnail fetched,
 * and the processed media used by the users (avatar) and products (images) services, which learn of it from
 * `media.MediaProcessed` over SNS. Last, two figures: upload-to-ready latency and the worker's throughput.
 */

let dev: DevServer;
beforeAll(async () => {
  dev = await startDev();
}, 90_000);
afterAll(async () => {
  await dev?.stop();
});

const {
  call,
  expectOk,
  expectProblem,
  signUp,
  requestUpload,
  startUpload,
  put,
  fetchObject,
  getMedia,
  untilFinal,
  uploadAndWait,
  untilAccepted,
} = mediaClient(() => dev);

const MiB = 1024 * 1024;
const slow = { timeout: 120_000 };

let owner: Account;
beforeAll(async () => {
  owner = await signUp("Owner");
});

/** The `Media` of a ready upload of a `width`×`height` image of `contentType` by `by`. */
const readyMedia = (mediaId: string, by: Account, contentType: ImageType, purpose: string, w: number, h: number) => ({
  mediaId,
  ownerId: by.userId,
  purpose,
  status: "ready",
  contentType,
  width: w,
  height: h,
  url: expect.stringMatching(/^https?:\/\/\S+$/),
  thumbnailUrl: expect.stringMatching(/^https?:\/\/\S+$/),
  createdAt: expect.stringMatching(ISO_TIME),
});

const failedMedia = (mediaId: string, by: Account, contentType: ImageType, purpose: string) => ({
  mediaId,
  ownerId: by.userId,
  purpose,
  status: "failed",
  contentType,
  failureReason: expect.stringMatching(/\S/),
  createdAt: expect.stringMatching(ISO_TIME),
});

/** A ready upload of a real `format` image: the whole flow, status checked. */
async function readyUpload(by: Account, format: FixtureFormat, w: number, h: number, purpose: "avatar" | "product") {
  const bytes = await makeImage(format, w, h);
  const { upload, media } = await uploadAndWait(by, bytes, contentTypeOf[format], purpose);
  expect(media).toEqual(readyMedia(upload.mediaId, by, contentTypeOf[format], purpose, w, h));
  return { bytes, media };
}

/** An upload whose bytes S3 takes but the worker refuses. */
async function failedUpload(by: Account, bytes: Buffer, claimed: ImageType, purpose: "avatar" | "product") {
  const { upload, media } = await uploadAndWait(by, bytes, claimed, purpose);
  expect(media).toEqual(failedMedia(upload.mediaId, by, claimed, purpose));
  return media;
}

// ---- POST /media/uploads ---------------------------------------------------------------------------------------

describe("POST /media/uploads", () => {
  test.each([
    ["image/png", 1, "avatar"],
    ["image/jpeg", 12_345, "product"],
    ["image/webp", 10 * MiB, "post"],
  ] as const)(
    "201 for %s of %i bytes (%s); GET /media/{mediaId} is the pending item",
    async (type, length, purpose) => {
      const before = Date.now();
      const upload = await startUpload(owner, type, length, purpose);
      // The URL is good for a while (the service says 15 minutes): more than a minute, less than a day.
      expect(Date.parse(upload.expiresAt)).toBeGreaterThan(before + 60_000);
      expect(Date.parse(upload.expiresAt)).toBeLessThan(before + 86_400_000);
      const media = expectOk(await getMedia(upload.mediaId));
      expect(media).toEqual({
        mediaId: upload.mediaId,
        ownerId: owner.userId,
        purpose,
        status: "pending",
        contentType: type,
        createdAt: expect.stringMatching(ISO_TIME),
      });
      expect(Date.parse(media.createdAt)).toBeGreaterThanOrEqual(before - 1000);
      expect(Date.parse(media.createdAt)).toBeLessThanOrEqual(Date.now() + 1000);
    },
  );

  test("each upload has its own id and URL", async () => {
    const [a, b] = await Promise.all([startUpload(owner, "image/png", 100), startUpload(owner, "image/png", 100)]);
    expect(a.mediaId).not.toBe(b.mediaId);
    expect(a.uploadUrl).not.toBe(b.uploadUrl);
  });

  test("401 without a token, or with one that is not a token", async () => {
    const body = { contentType: "image/png", contentLength: 100, purpose: "avatar" };
    expectProblem(await requestUpload(undefined, body), "unauthorized");
    expectProblem(
      await call("POST", "/media/uploads", { json: body, headers: { authorization: "Bearer not-a-jwt" } }),
      "unauthorized",
    );
  });

  test.each(["image/gif", "image/svg+xml", "text/plain"])("415 for contentType %s, naming the field", async (type) => {
    const reply = await requestUpload(owner, { contentType: type, contentLength: 100, purpose: "product" });
    expectProblem(reply, "unsupported-media-type", ["body.contentType"]);
  });

  test.each([10 * MiB + 1, 50 * MiB])("413 for contentLength %i (over 10 MiB), naming the field", async (length) => {
    const reply = await requestUpload(owner, { contentType: "image/jpeg", contentLength: length, purpose: "product" });
    expectProblem(reply, "payload-too-large", ["body.contentLength"]);
  });

  test.each([
    {
      name: "contentLength 0",
      json: { contentType: "image/png", contentLength: 0, purpose: "avatar" },
      paths: ["body.contentLength"],
    },
    {
      name: "contentLength 1.5",
      json: { contentType: "image/png", contentLength: 1.5, purpose: "avatar" },
      paths: ["body.contentLength"],
    },
    {
      name: "contentLength -1",
      json: { contentType: "image/png", contentLength: -1, purpose: "avatar" },
      paths: ["body.contentLength"],
    },
    {
      name: 'contentLength "100"',
      json: { contentType: "image/png", contentLength: "100", purpose: "avatar" },
      paths: ["body.contentLength"],
    },
    {
      name: "purpose banner",
      json: { contentType: "image/png", contentLength: 100, purpose: "banner" },
      paths: ["body.purpose"],
    },
    { name: "no purpose", json: { contentType: "image/png", contentLength: 100 }, paths: ["body.purpose"] },
    { name: "empty object", json: {}, paths: ["body.contentType", "body.contentLength", "body.purpose"] },
  ])("400 for $name, listing $paths", async ({ json, paths }) => {
    expectProblem(await requestUpload(owner, json), "validation", paths);
  });

  test("400 for malformed JSON", async () => {
    const reply = await call("POST", "/media/uploads", { token: owner.token, raw: '{"contentType":' });
    expectProblem(reply, "malformed-json");
  });
});

// ---- the upload and the worker ----------------------------------------------------------------------------------

describe("PUT the bytes, then GET /media/{mediaId}: pending → ready", () => {
  test.each([
    ["png", 800, 600],
    ["jpeg", 600, 1000],
    ["webp", 300, 300],
  ] as const)(
    "a real %s of %i×%i: PUT 200, then ready with its size; the original and a 256 px thumbnail can be fetched",
    slow,
    async (format, w, h) => {
      const bytes = await makeImage(format, w, h);
      const upload = await startUpload(owner, contentTypeOf[format], bytes.length, "product");
      const sent = await put(upload, bytes);
      expect(sent.status, sent.text).toBe(200);
      // Right after the PUT it is still pending or already ready, never anything else.
      const early = expectOk(await getMedia(upload.mediaId));
      expect(["pending", "ready"]).toContain(early.status);

      const media = await untilFinal(upload.mediaId);
      expect(media).toEqual(readyMedia(upload.mediaId, owner, contentTypeOf[format], "product", w, h));

      const original = await fetchObject(media.url!);
      expect(original.status, `${media.url} → ${original.status} ${original.text.slice(0, 300)}`).toBe(200);
      expect(original.bytes.equals(bytes)).toBe(true);

      const thumb = await fetchObject(media.thumbnailUrl!);
      expect(thumb.status, `${media.thumbnailUrl} → ${thumb.status} ${thumb.text.slice(0, 300)}`).toBe(200);
      const meta = await sharp(thumb.bytes).metadata();
      expect(meta.format).toBe("webp");
      expect(Math.max(meta.width!, meta.height!)).toBe(256);
      // The aspect ratio kept (to the rounding of the shorter side).
      expect(Math.abs((meta.width! * h) / (meta.height! * w) - 1)).toBeLessThan(0.02);
      expect(media.thumbnailUrl).not.toBe(media.url);
    },
  );

  test("an image already smaller than 256 px: its thumbnail is not enlarged", slow, async () => {
    const { media } = await readyUpload(owner, "png", 120, 80, "product");
    const thumb = await fetchObject(media.thumbnailUrl!);
    expect(thumb.status).toBe(200);
    const meta = await sharp(thumb.bytes).metadata();
    expect([meta.width, meta.height]).toEqual([120, 80]);
  });

  test(
    "PUT of bytes of another length, or with another type: 403 from the local S3, and the item stays pending; the right PUT still works",
    slow,
    async () => {
      const bytes = await makeImage("png", 400, 300);
      const upload = await startUpload(owner, "image/png", bytes.length, "product");

      const longer = Buffer.concat([bytes, Buffer.from([0])]);
      const wrongLength = await put(upload, longer, {
        "content-type": "image/png",
        "content-length": String(longer.length),
      });
      expect(wrongLength.status, wrongLength.text).toBe(403);
      expect(wrongLength.text).toContain("SignatureDoesNotMatch");

      const shorter = bytes.subarray(0, bytes.length - 10);
      const wrongShort = await put(upload, shorter, {
        "content-type": "image/png",
        "content-length": String(shorter.length),
      });
      expect(wrongShort.status, wrongShort.text).toBe(403);

      const wrongType = await put(upload, bytes, { ...upload.uploadHeaders, "content-type": "image/jpeg" });
      expect(wrongType.status, wrongType.text).toBe(403);
      expect(wrongType.text).toContain("SignatureDoesNotMatch");

      // Nothing arrived: the worker has nothing to decide, for a few seconds at least.
      await sleep(3_000);
      expect(expectOk(await getMedia(upload.mediaId)).status).toBe("pending");

      const right = await put(upload, bytes);
      expect(right.status, right.text).toBe(200);
      expect(await untilFinal(upload.mediaId)).toEqual(
        readyMedia(upload.mediaId, owner, "image/png", "product", 400, 300),
      );
    },
  );

  test("text claiming to be a PNG: failed with a reason, no size or URLs", slow, async () => {
    const text = Buffer.from("this is not an image, just some text pretending to be one\n".repeat(20));
    await failedUpload(owner, text, "image/png", "product");
  });

  test("real PNG bytes claiming to be a JPEG: failed with a reason", slow, async () => {
    await failedUpload(owner, await makeImage("png", 200, 150), "image/jpeg", "product");
  });

  test("a truncated JPEG: failed with a reason (nothing stuck pending)", slow, async () => {
    const jpeg = await makeImage("jpeg", 640, 480);
    await failedUpload(owner, jpeg.subarray(0, Math.floor(jpeg.length / 2)), "image/jpeg", "product");
  });

  test("GET /media/{unknown} 404", async () => {
    expectProblem(await getMedia(uid("nope")), "not-found");
    expectProblem(await getMedia("AAAAAAAAAAAAAAAAAAAAAA"), "not-found");
  });
});

// ---- with the users and products services -----------------------------------------------------------------------

describe("processed media in the other services (media.MediaProcessed over SNS)", () => {
  const patchMe = (who: Account, json: unknown) => call<Profile>("PATCH", "/users/me", { token: who.token, json });
  const createWith = (who: Account, imageMediaIds: string[]) =>
    call<Product>("POST", "/products", { token: who.token, json: newProduct(uid("cat"), { imageMediaIds }) });

  test(
    "a ready avatar upload becomes the caller's avatar; another user's media and a failed upload are 403",
    slow,
    async () => {
      const [me, stranger] = await Promise.all([signUp("Avatar"), signUp("Stranger")]);
      const { media } = await readyUpload(me, "jpeg", 512, 512, "avatar");
      const failed = await failedUpload(me, Buffer.from("not a jpeg at all".repeat(10)), "image/jpeg", "avatar");

      const set = await untilAccepted(() => patchMe(me, { avatarMediaId: media.mediaId }));
      const avatar = { mediaId: media.mediaId, url: media.url, thumbnailUrl: media.thumbnailUrl };
      expect(expectOk(set).avatar).toEqual(avatar);
      expect(expectOk(await call<Profile>("GET", "/users/me", { token: me.token })).avatar).toEqual(avatar);
      expect(expectOk(await call<Profile>("GET", `/users/${me.userId}`)).avatar).toEqual(avatar);
      expect((await fetchObject(expectOk(set).avatar!.thumbnailUrl)).status).toBe(200);

      // Another user's (ready) media: 403, and their profile is unchanged.
      expectProblem(await patchMe(stranger, { avatarMediaId: media.mediaId }), "forbidden");
      expect(expectOk(await call<Profile>("GET", "/users/me", { token: stranger.token })).avatar).toBeNull();
      // The failed upload is never shown: 403 even after the event has had time to arrive, and the avatar stays.
      await sleep(3_000);
      expectProblem(await patchMe(me, { avatarMediaId: failed.mediaId }), "forbidden");
      expect(expectOk(await call<Profile>("GET", "/users/me", { token: me.token })).avatar).toEqual(avatar);
    },
  );

  test(
    "a ready product upload becomes a product image; another user's media and a failed upload are 403",
    slow,
    async () => {
      const [seller, stranger] = await Promise.all([signUp("Seller"), signUp("Stranger")]);
      const { media } = await readyUpload(seller, "webp", 1024, 768, "product");
      const failed = await failedUpload(seller, await makeImage("jpeg", 100, 100), "image/webp", "product");

      const created = await untilAccepted(() => createWith(seller, [media.mediaId]));
      const product = expectOk(created, 201);
      const image = { mediaId: media.mediaId, url: media.url, thumbnailUrl: media.thumbnailUrl };
      expect(product.images).toEqual([image]);
      expect(expectOk(await call<Product>("GET", `/products/${product.productId}`)).images).toEqual([image]);
      expect((await fetchObject(product.images[0]!.url)).status).toBe(200);

      expectProblem(await createWith(stranger, [media.mediaId]), "forbidden");
      await sleep(3_000);
      expectProblem(await createWith(seller, [failed.mediaId]), "forbidden");
      expectProblem(await createWith(seller, [media.mediaId, failed.mediaId]), "forbidden");
    },
  );
});

// ---- figures ----------------------------------------------------------------------------------------------------

describe("figures (printed, not asserted on time)", () => {
  test("upload-to-ready latency over 20 uploads, 4 at a time: p50 and p90", { timeout: 300_000 }, async () => {
    const formats: FixtureFormat[] = ["png", "jpeg", "webp"];
    const images = await Promise.all(
      Array.from({ length: 20 }, (_, i) => makeImage(formats[i % 3]!, 800 + i * 10, 600)),
    );
    const latencies: number[] = [];
    const totals: number[] = [];
    for (let i = 0; i < images.length; i += 4) {
      const results = await Promise.all(
        images.slice(i, i + 4).map(async (bytes, j) => {
          const format = formats[(i + j) % 3]!;
          const began = performance.now();
          const result = await uploadAndWait(owner, bytes, contentTypeOf[format], "product");
          return { ...result, began };
        }),
      );
      for (const { media, putMs, finalMs, began } of results) {
        expect(media.status, JSON.stringify(media)).toBe("ready");
        latencies.push(finalMs - putMs);
        totals.push(finalMs - began);
      }
    }
    expect(latencies).toHaveLength(20);
    const ms = (n: number) => `${Math.round(n)} ms`;
    console.log(
      `[media figure] PUT 200 → GET ready, 20 uploads (800–990×600, png/jpeg/webp, 4 at a time): ` +
        `p50 ${ms(percentile(latencies, 0.5))}, p90 ${ms(percentile(latencies, 0.9))}, max ${ms(Math.max(...latencies))}; ` +
        `POST /media/uploads → ready: p50 ${ms(percentile(totals, 0.5))}, p90 ${ms(percentile(totals, 0.9))}`,
    );
  });

  test("worker throughput: 30 uploads PUT at once, images/s until all are ready", { timeout: 300_000 }, async () => {
    const N = 30;
    const images = await Promise.all(Array.from({ length: N }, (_, i) => makeImage("jpeg", 1200, 900 + i)));
    const uploads = await Promise.all(images.map((bytes) => startUpload(owner, "image/jpeg", bytes.length, "product")));
    const began = performance.now();
    const sent = await Promise.all(uploads.map((upload, i) => put(upload, images[i]!)));
    for (const reply of sent) expect(reply.status, reply.text).toBe(200);
    const putDone = performance.now();
    const finals: Media[] = await Promise.all(uploads.map((upload) => untilFinal(upload.mediaId, 240_000, 100)));
    const seconds = (performance.now() - began) / 1000;
    for (const [i, media] of finals.entries())
      expect(media).toEqual(readyMedia(uploads[i]!.mediaId, owner, "image/jpeg", "product", 1200, 900 + i));
    console.log(
      `[media figure] worker throughput: ${N} JPEGs of 1200×~900 (${Math.round(images.reduce((s, b) => s + b.length, 0) / N / 1024)} KiB avg) ` +
        `PUT at once (PUTs took ${Math.round(putDone - began)} ms), all ready after ${seconds.toFixed(2)} s: ` +
        `${(N / seconds).toFixed(2)} images/s`,
    );
    expect(new Set(finals.map((m) => m.mediaId)).size).toBe(N);
    expect(finals.every((m) => URL_SAFE_ID.test(m.mediaId))).toBe(true);
  });
});
