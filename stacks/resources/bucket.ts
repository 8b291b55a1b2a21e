import type { ResourceNode } from "../../shared/topology/index.js";
import type { BuildContext, BuiltResource } from "./index.js";

/** Incomplete multipart uploads are aborted (their parts deleted) this many days after they began. */
export const ABORT_INCOMPLETE_UPLOADS_DAYS = 1;
/** What a browser may send on its presigned PUT (the signed headers), and read back. */
export const UPLOAD_CORS = {
  allowMethods: ["PUT"],
  allowHeaders: ["content-type", "content-length"],
  exposeHeaders: ["ETag"],
  maxAge: "1 hour",
} as const;

/**
 * A bucket that stays private, read only through its CDN, whose every object-created notification goes to the queue
 * of the event it `notifies` (media bytes never pass through the API). Linked with the CDN's URL: handlers hand out
 * CDN URLs, never bucket URLs.
 * - private: every public access blocked (ACLs and policies), only the CDN's origin access control may read it, and
 *   HTTPS only (SST's `enforceHttps` deny);
 * - encrypted at rest with S3-managed keys (SSE-S3, with a bucket key);
 * - CORS for browsers' presigned PUTs (any origin: the signature, not the origin, is the permission);
 * - a lifecycle rule that aborts multipart uploads left incomplete, so their parts are not kept (and billed) forever.
 */
export function buildBucket(node: ResourceNode<"bucket">, { topology, transports }: BuildContext): BuiltResource {
  const { name } = node;
  const { notifies } = node.options;
  const delivery = topology.subscriptions.find((s) => s.event === notifies && s.delivery.kind === "queue")?.delivery;
  const queue = delivery?.kind === "queue" ? transports.queues[delivery.queue] : undefined;
  if (!queue) throw new Error(`${name} notifies ${notifies}, but no queue carries that event`);

  // `cloudfront` access: the bucket stays private and only the CDN's origin access control may read it.
  const bucket = new sst.aws.Bucket(name, {
    access: "cloudfront",
    cors: {
      allowOrigins: ["*"],
      allowMethods: [...UPLOAD_CORS.allowMethods],
      allowHeaders: [...UPLOAD_CORS.allowHeaders],
      exposeHeaders: [...UPLOAD_CORS.exposeHeaders],
      maxAge: UPLOAD_CORS.maxAge,
    },
    transform: {
      // SST's defaults, said out loud: a check compares against these, not against SST's next default.
      publicAccessBlock: (args) => {
        args.blockPublicAcls = true;
        args.blockPublicPolicy = true;
        args.ignorePublicAcls = true;
        args.restrictPublicBuckets = true;
      },
    },
  });
  new aws.s3.BucketServerSideEncryptionConfiguration(`${name}Encryption`, {
    bucket: bucket.name,
    rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" }, bucketKeyEnabled: true }],
  });
  new aws.s3.BucketLifecycleConfiguration(`${name}Lifecycle`, {
    bucket: bucket.name,
    rules: [
      {
        id: "AbortIncompleteUploads",
        status: "Enabled",
        filter: {},
        abortIncompleteMultipartUpload: { daysAfterInitiation: ABORT_INCOMPLETE_UPLOADS_DAYS },
      },
    ],
  });
  const cdn = new sst.aws.Router(`${name}Cdn`);
  cdn.routeBucket("/", bucket);
  bucket.notify({
    notifications: [{ name: `${name}ObjectCreated`, queue, events: ["s3:ObjectCreated:*"] }],
  });
  return { kind: node.kind, components: { bucket, cdn }, link: { target: bucket, extras: { cdnUrl: cdn.url } } };
}
