import { CreateBucketCommand, PutBucketNotificationConfigurationCommand, S3Client } from "@aws-sdk/client-s3";
import type { LinkedResource } from "../../../shared/config.js";
import { resourceNameFor } from "../../../shared/events/resources.js";
import type { ResourceNode } from "../../../shared/topology/index.js";
import type { ProvisionContext } from "./index.js";

/**
 * The bucket on the local S3, and its object-created notifications to the queue of the event it notifies ("Amazon
 * S3 Event Notifications"; the emulator delivers them), as the stacks configure them with the bucket. Linked with
 * `cdnUrl`, the bucket's path-style URL on the local S3: what readers fetch locally instead of the CDN.
 */
export async function provisionBucket(
  node: ResourceNode<"bucket">,
  context: ProvisionContext,
): Promise<LinkedResource> {
  const { target, topology } = context;
  const contract = topology.events[node.options.notifies];
  if (!contract) throw new Error(`${node.name} notifies ${node.options.notifies}, an unknown event`);
  const queue = context.provisioned[resourceNameFor(contract)];
  if (!queue?.arn) throw new Error(`${node.name} notifies ${contract.type}, but its queue is not provisioned`);
  const name = context.physical(node.name).toLowerCase(); // bucket names are lower case
  const s3 = new S3Client({
    endpoint: target.endpoints.s3,
    region: target.region,
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
    forcePathStyle: true,
  });
  try {
    await s3.send(new CreateBucketCommand({ Bucket: name })).catch((error: { name?: string }) => {
      if (error.name !== "BucketAlreadyOwnedByYou" && error.name !== "BucketAlreadyExists") throw error;
    });
    await s3.send(
      new PutBucketNotificationConfigurationCommand({
        Bucket: name,
        NotificationConfiguration: {
          QueueConfigurations: [
            { Id: `${node.name}ObjectCreated`, QueueArn: queue.arn, Events: ["s3:ObjectCreated:*"] },
          ],
        },
      }),
    );
  } finally {
    s3.destroy();
  }
  // `cdnUrl` as the stacks link it: locally the local S3 plays the CDN (path style), so handlers build the same URLs.
  return { name, arn: `arn:aws:s3:::${name}`, cdnUrl: `${target.endpoints.s3}/${name}` };
}
