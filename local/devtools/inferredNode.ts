import type { TraceEntity } from "./segmentIndex.js";

/** A node of the service map. */
export interface MapNode {
  readonly id: string;
  readonly name: string;
  /** `client`, `remote`, an origin (`AWS::Lambda::Function`) or an inferred AWS type (`AWS::DynamoDB::Table`). */
  readonly type: string;
}

/** How the console names an AWS service's inferred node: per resource when the call records one. */
interface AwsService {
  /** The service's node type, when the call names no resource. */
  readonly serviceType: string;
  /** The resource's node type. */
  readonly resourceType: string;
  /** The resource name, from the `aws` object the SDK records for the call. */
  readonly resource: (aws: Readonly<Record<string, unknown>>) => string | undefined;
}

const text = (value: unknown): string | undefined => (typeof value === "string" && value !== "" ? value : undefined);
const lastOf = (value: unknown, separator: string): string | undefined =>
  text(text(value)?.split(separator).filter(Boolean).pop());

/** Keyed by the subsegment name of an AWS SDK v3 call (the client name without `Client`), as the X-Ray SDK and `shared/tracing` name it. */
const AWS_SERVICES: Readonly<Record<string, AwsService>> = {
  DynamoDB: {
    serviceType: "AWS::DynamoDB",
    resourceType: "AWS::DynamoDB::Table",
    resource: (aws) => {
      const many = Array.isArray(aws.table_names) ? aws.table_names : [];
      return text(aws.table_name) ?? (many.length === 1 ? text(many[0]) : undefined);
    },
  },
  SQS: {
    serviceType: "AWS::SQS",
    resourceType: "AWS::SQS::Queue",
    resource: (aws) => lastOf(aws.queue_url, "/") ?? text(aws.queue_name),
  },
  SNS: { serviceType: "AWS::SNS", resourceType: "AWS::SNS::Topic", resource: (aws) => lastOf(aws.topic_arn, ":") },
  EventBridge: {
    serviceType: "AWS::Events",
    resourceType: "AWS::Events::EventBus",
    resource: (aws) => text(aws.event_bus_name),
  },
  Kinesis: {
    serviceType: "AWS::Kinesis",
    resourceType: "AWS::Kinesis::Stream",
    resource: (aws) => text(aws.stream_name) ?? lastOf(aws.stream_arn, "/"),
  },
  S3: { serviceType: "AWS::S3", resourceType: "AWS::S3::Bucket", resource: (aws) => text(aws.bucket_name) },
  Lambda: { serviceType: "AWS::Lambda", resourceType: "AWS::Lambda", resource: (aws) => text(aws.function_name) },
};

/** The document client's calls go out as DynamoDB calls and are drawn on the same node. */
const ALIASES: Readonly<Record<string, string>> = { DynamoDBDocument: "DynamoDB" };

export const CLIENT_NODE: MapNode = { id: "client", name: "Client", type: "client" };

const nodeId = (type: string, name: string): string => `${type}/${name}`;

/** The AWS service a call (`namespace: "aws"`) went to, by its subsegment name. */
export function awsServiceOf(call: TraceEntity): string {
  return ALIASES[call.name] ?? call.name;
}

/** The node of a service that sent its own segment: its name and origin, as the console draws it. */
export function segmentNode(segment: TraceEntity): MapNode {
  const type = segment.origin ?? "service";
  return { id: nodeId(type, segment.name), name: segment.name, type };
}

/**
 * The inferred node of a downstream call: for an AWS call, one node per resource (the table, the queue) when the
 * call records it, else one per service; for any other call, a `remote` node named like the subsegment.
 */
export function inferredNode(call: TraceEntity): MapNode {
  if (call.namespace !== "aws") return { id: nodeId("remote", call.name), name: call.name, type: "remote" };
  const service = awsServiceOf(call);
  const known = AWS_SERVICES[service];
  const resource = known?.resource(call.aws);
  if (known && resource) return { id: nodeId(known.resourceType, resource), name: resource, type: known.resourceType };
  const type = known?.serviceType ?? `AWS::${service}`;
  return { id: nodeId(type, service), name: service, type };
}
