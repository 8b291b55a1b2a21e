import { type QueueNode, shardsOnStage, type Topology } from "../shared/topology/index.js";

export interface Transports {
  readonly bus?: sst.aws.Bus;
  readonly topics: Record<string, sst.aws.SnsTopic>;
  readonly queues: Record<string, sst.aws.Queue>;
  readonly streams: Record<string, sst.aws.KinesisStream>;
}

/** SQS keeps a message at most 14 days; a DLQ keeps its failures that long so someone can look at them. */
const DLQ_RETENTION_SECONDS = 14 * 24 * 60 * 60;
/** Kinesis retention for replay: 7 days (the default is 24 hours). */
const REPLAY_RETENTION_HOURS = 7 * 24;

function createQueue(queue: QueueNode, dlqs: Record<string, sst.aws.Queue>): sst.aws.Queue {
  if (queue.role === "dlq") {
    return new sst.aws.Queue(queue.name, {
      visibilityTimeout: `${queue.visibilityTimeoutSeconds} seconds`,
      transform: {
        queue: (args) => {
          args.messageRetentionSeconds = DLQ_RETENTION_SECONDS;
        },
      },
    });
  }
  const dlq = queue.dlq ? dlqs[queue.dlq] : undefined;
  if (queue.dlq && !dlq) throw new Error(`queue ${queue.name} redrives to ${queue.dlq}, which the topology lacks`);
  return new sst.aws.Queue(queue.name, {
    // AWS: at least six times the consumer's timeout, or a slow batch is received twice (the topology computes it).
    visibilityTimeout: `${queue.visibilityTimeoutSeconds} seconds`,
    ...(dlq ? { dlq: { queue: dlq.arn, retry: queue.maxReceiveCount ?? 3 } } : {}),
  });
}

/** The bus, a topic per SNS event, a queue per queue node (DLQs first, so redrive policies can name them), a stream per Kinesis event. */
export function createTransports(topology: Topology): Transports {
  const bus = topology.bus ? new sst.aws.Bus(topology.bus) : undefined;

  const topics: Record<string, sst.aws.SnsTopic> = {};
  for (const topic of topology.topics) topics[topic.name] = new sst.aws.SnsTopic(topic.name);

  const queues: Record<string, sst.aws.Queue> = {};
  const ordered = [
    ...topology.queues.filter((q) => q.role === "dlq"),
    ...topology.queues.filter((q) => q.role !== "dlq"),
  ];
  for (const queue of ordered) queues[queue.name] = createQueue(queue, queues);

  const streams: Record<string, sst.aws.KinesisStream> = {};
  for (const stream of topology.streams) {
    streams[stream.name] = new sst.aws.KinesisStream(stream.name, {
      transform: {
        stream: (args) => {
          // Order is per partition key within a shard: a fixed shard count keeps the key-to-shard mapping stable.
          args.streamModeDetails = { streamMode: "PROVISIONED" };
          args.shardCount = shardsOnStage(stream.shards, $app.stage);
          args.retentionPeriod = REPLAY_RETENTION_HOURS;
        },
      },
    });
  }

  return { ...(bus ? { bus } : {}), topics, queues, streams };
}
