import type { Topology } from "../shared/topology/index.js";
import type { Transports } from "./transports.js";

export interface Media {
  readonly bucket: sst.aws.Bucket;
  readonly cdn: sst.aws.Router;
}

/**
 * The media bucket of the service that declares one: private, read only through the CDN, and every object-created
 * notification sent to the queue of the event the service names (media bytes never pass through the API).
 */
export function createMedia(topology: Topology, transports: Transports): Record<string, Media> {
  const media: Record<string, Media> = {};
  for (const service of topology.services) {
    if (!service.bucket) continue;
    const { name, notifies } = service.bucket;
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
    media[name] = { bucket, cdn };
  }
  return media;
}
