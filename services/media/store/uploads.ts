import { PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import { resource } from "../../../shared/config.js";
import type { ImageContentType, MediaItem } from "./media.js";

/** How long a presigned upload stays good: long enough for a slow phone on 10 MiB, short enough not to be shared. */
// How long an upload URL lives is the store's: a pending item older than it (and a grace) is abandoned.
import { UPLOAD_TTL_SECONDS } from "./media.js";

export { UPLOAD_TTL_SECONDS };

let presigner: S3Client | undefined;
/**
 * The client that signs uploads (it sends nothing): default configuration, so `AWS_ENDPOINT_URL_S3` points it at the
 * local S3, but checksums only when required. With the default (`WHEN_SUPPORTED`) the SDK signs a CRC32 of the
 * empty body into the URL, and S3 would refuse the real bytes with `BadDigest`.
 */
function presignClient(): S3Client {
  presigner ??= new S3Client({ requestChecksumCalculation: "WHEN_REQUIRED" });
  return presigner;
}

/** The answer of `POST /media/uploads`: where and how to PUT the bytes. */
export interface PresignedUpload {
  readonly uploadUrl: string;
  readonly uploadMethod: "PUT";
  /** Exactly the headers the client must send: both are in the signature, so S3 refuses any other value. */
  readonly uploadHeaders: { readonly "content-type": ImageContentType; readonly "content-length": string };
  readonly expiresAt: string;
}

/**
 * A presigned S3 PUT of the item's original, with `content-type` and `content-length` signed (SigV4 lists them in
 * `X-Amz-SignedHeaders`): S3 answers `403 SignatureDoesNotMatch` to other bytes' length or another type, and
 * `403 AccessDenied` ("Request has expired") after {@link UPLOAD_TTL_SECONDS}. No checksum is bound (the bytes are
 * the client's): the URL carries no `x-amz-checksum-*`.
 */
export async function presignUpload(item: MediaItem, nowMs: number = Date.now()): Promise<PresignedUpload> {
  const bucket = resource("MediaBucket").name;
  if (typeof bucket !== "string") throw new Error("MediaBucket is linked without a name");
  const signingDate = new Date(nowMs);
  const uploadUrl = await getSignedUrl(
    presignClient(),
    new PutObjectCommand({
      Bucket: bucket,
      Key: item.objectKey,
      ContentType: item.contentType,
      ContentLength: item.contentLength,
    }),
    {
      expiresIn: UPLOAD_TTL_SECONDS,
      signingDate,
      // Signed, not hoisted into the query: the client must send these very values as headers.
      signableHeaders: new Set(["content-type", "content-length"]),
    },
  );
  return {
    uploadUrl,
    uploadMethod: "PUT",
    uploadHeaders: { "content-type": item.contentType, "content-length": String(item.contentLength) },
    expiresAt: new Date(nowMs + UPLOAD_TTL_SECONDS * 1000).toISOString(),
  };
}
