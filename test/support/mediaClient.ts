import { expect } from "vitest";
import type { Media, Upload } from "../../services/media/api.js";
import type { DevServer } from "./devServer.js";
import { type Account, eventually, productsClient, type Reply, sleep } from "./productsClient.js";

/**
 * A consumer's view of the media API through a real `npm run dev` (the e2e suite `test/e2e/media.test.ts`): the
 * request helper and accounts of {@link productsClient}, `POST /media/uploads`, the presigned PUT of the bytes to the
 * local S3 exactly as a browser or a phone sends it, and `GET /media/{mediaId}` polled until the worker decides.
 */

export type ImageType = Upload["uploadHeaders"]["content-type"];
export type Purpose = Media["purpose"];

/** What the local S3 answered a PUT or a GET: status, headers and the raw bytes. */
export interface S3Reply {
  readonly status: number;
  readonly headers: Headers;
  readonly bytes: Buffer;
  readonly text: string;
}

/** How long a worker decision may take here (the contract says "normally within seconds"): generous. */
export const FINAL_WITHIN_MS = 60_000;

export function mediaClient(dev: () => DevServer) {
  const products = productsClient(dev);
  const { call, expectOk } = products;

  /** `POST /media/uploads` as `account` (or anonymously): the raw reply. */
  const requestUpload = (account: Account | undefined, json: unknown) =>
    call<Upload>("POST", "/media/uploads", { ...(account ? { token: account.token } : {}), json });

  /** A 201 upload for `contentLength` bytes of `contentType`: checked against the contract's shape. */
  async function startUpload(
    account: Account,
    contentType: ImageType,
    contentLength: number,
    purpose: Purpose = "product",
  ): Promise<Upload> {
    const before = Date.now();
    const upload = expectOk(await requestUpload(account, { contentType, contentLength, purpose }), 201);
    expect(upload).toEqual({
      mediaId: expect.stringMatching(/^[A-Za-z0-9_-]{1,64}$/),
      uploadUrl: expect.stringMatching(/^https?:\/\/\S+$/),
      uploadMethod: "PUT",
      uploadHeaders: { "content-type": contentType, "content-length": String(contentLength) },
      expiresAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z$/),
    });
    expect(Date.parse(upload.expiresAt)).toBeGreaterThan(before);
    return upload;
  }

  /** The presigned PUT: `bytes` with `headers` (the upload's own `uploadHeaders` unless told otherwise). */
  async function put(upload: Upload, bytes: Buffer, headers: Record<string, string> = upload.uploadHeaders) {
    const res = await fetch(upload.uploadUrl, { method: upload.uploadMethod, headers, body: new Uint8Array(bytes) });
    return s3Reply(res);
  }

  /** A GET of a URL the media API handed out (the original, the thumbnail). */
  async function fetchObject(url: string): Promise<S3Reply> {
    return s3Reply(await fetch(url));
  }

  const getMedia = (mediaId: string) => call<Media>("GET", `/media/${encodeURIComponent(mediaId)}`);

  /** `GET /media/{mediaId}` until it is no longer pending (or the deadline); the last answer, 200 checked. */
  async function untilFinal(mediaId: string, timeoutMs = FINAL_WITHIN_MS, everyMs = 100): Promise<Media> {
    const reply = await eventually(
      () => getMedia(mediaId),
      (r) => r.status !== 200 || r.body.status !== "pending",
      timeoutMs,
      everyMs,
    );
    return expectOk(reply);
  }

  /** Start, PUT (200 checked) and wait for the decision: the whole consumer flow for one upload. */
  async function uploadAndWait(
    account: Account,
    bytes: Buffer,
    contentType: ImageType,
    purpose: Purpose = "product",
  ): Promise<{ upload: Upload; media: Media; putMs: number; finalMs: number }> {
    const upload = await startUpload(account, contentType, bytes.length, purpose);
    const sent = await put(upload, bytes);
    expect(sent.status, `PUT ${upload.mediaId}: ${sent.status} ${sent.text.slice(0, 300)}`).toBe(200);
    const putMs = performance.now();
    const media = await untilFinal(upload.mediaId, FINAL_WITHIN_MS, 25);
    return { upload, media, putMs, finalMs: performance.now() };
  }

  /**
   * Calls `attempt` until it is no longer a 403 (what the users and products services answer until
   * `media.MediaProcessed` has reached them over SNS), or the deadline.
   */
  const untilAccepted = <T>(attempt: () => Promise<Reply<T>>, timeoutMs = 30_000) =>
    eventually(attempt, (reply) => reply.status !== 403, timeoutMs, 250);

  return {
    ...products,
    requestUpload,
    startUpload,
    put,
    fetchObject,
    getMedia,
    untilFinal,
    uploadAndWait,
    untilAccepted,
  };
}

async function s3Reply(res: Response): Promise<S3Reply> {
  const bytes = Buffer.from(await res.arrayBuffer());
  return { status: res.status, headers: res.headers, bytes, text: bytes.toString("utf8") };
}

/** The value at fraction `q` (0..1) of `values`, nearest rank. */
export function percentile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

export { sleep };
