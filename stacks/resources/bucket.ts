import type { ResourceNode } from "../../shared/topology/index.js";
import type { BuildContext, BuiltResource } from "./index.js";

/**
 * A bucket that stays private, read only through its CDN, whose every object-created notification goes to the queue
 * of the event it `notifies` (media bytes never pass through the API). Linked with the CDN's URL: handlers hand out
 * CDN URLs, never bucket URLs.
 */
export function buildBucket(node: ResourceNode<"bucket">, { topology, transports }: BuildContext): BuiltResource {
  const { name } = node;
  const { notifies } = node.options;
  const delivery = topology.subscriptions.find((s) => s.event === notifies && s.delivery.kind === "queue")?.delivery;
  const queue = delivery?.kind === "queue" ? transports.queues[delivery.queue] : undefined;
  if (!queue) throw new Error(`${name} notifies ${notifies}, but no queue carries that event`);

  // `cloudfront` access: the bucket stays private and only the CDN's origin access control may read it.
  const bucket = new sst.aws.Bucket(name, { access: "cloudfront" });
  const cdn = new sst.aws.Router(`${name}Cdn`);
  cdn.routeBucket("/", bucket);
  bucket.notify({
    notifications: [{ name: `${name}ObjectCreated`, queue, events: ["s3:ObjectCreated:*"] }],
  });
  return { kind: node.kind, components: { bucket, cdn }, link: { target: bucket, extras: { cdnUrl: cdn.url } } };
}
