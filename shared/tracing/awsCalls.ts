import { THROTTLING_ERROR_CODES } from "../aws/throttling.js";
import { currentEntity } from "./context.js";
import { type FailureKind, Subsegment } from "./segments.js";
import { formatTraceHeader } from "./traceHeader.js";

/**
 * AWS SDK v3 calls as X-Ray subsegments, the shape the X-Ray SDK's `captureAWSClient` writes and the X-Ray console
 * reads: named after the service (`DynamoDB`, `SQS`), `namespace: "aws"`, `aws.operation`, `aws.region`,
 * `aws.request_id`, `aws.retries`, the resource the call named (`table_name`, `queue_url`, …), and
 * `http.response.status`. The call carries `X-Amzn-Trace-Id` with the subsegment as parent, which is how SQS sets a
 * message's `AWSTraceHeader` and how SNS and EventBridge continue the trace.
 */

/** The smallest view of an SDK v3 client this needs: its middleware stack and its region. */
export interface TraceableClient {
  readonly middlewareStack: {
    add(middleware: unknown, options: { step: "build"; name: string; override?: boolean }): void;
    remove(name: string): boolean;
  };
  readonly config: { readonly region?: unknown };
}

interface Metadata {
  readonly httpStatusCode?: number;
  readonly requestId?: string;
  readonly extendedRequestId?: string;
  readonly attempts?: number;
}

interface CallContext {
  readonly clientName?: string;
  readonly commandName?: string;
}

interface BuildArgs {
  readonly input?: Record<string, unknown>;
  readonly request?: unknown;
}

interface BuildOutput {
  readonly output?: Record<string, unknown> & { readonly $metadata?: Metadata };
  readonly response?: unknown;
}

type Next = (args: BuildArgs) => Promise<BuildOutput>;

const MIDDLEWARE_NAME = "SummitXRayTracing";

/** `RequestItems` → its table names; the resource fields of the calls Summit makes, as the X-Ray SDK names them. */
const tableNames = (input: Record<string, unknown>, key: string) => {
  const items = input[key];
  return items && typeof items === "object" ? { table_names: Object.keys(items) } : {};
};
const pick =
  (...fields: readonly [from: string, to: string][]) =>
  (input: Record<string, unknown>): Record<string, unknown> =>
    Object.fromEntries(fields.filter(([from]) => input[from] !== undefined).map(([from, to]) => [to, input[from]]));

/** A DynamoDB call's table, and how a read read: the X-Ray SDK's request parameters of GetItem, Query and Scan. */
const TABLE = pick(
  ["TableName", "table_name"],
  ["IndexName", "index_name"],
  ["ConsistentRead", "consistent_read"],
  ["Limit", "limit"],
  ["ScanIndexForward", "scan_index_forward"],
  ["Select", "select"],
  ["ProjectionExpression", "projection_expression"],
  ["AttributesToGet", "attributes_to_get"],
  ["Segment", "segment"],
  ["TotalSegments", "total_segments"],
);
const QUEUE = pick(["QueueUrl", "queue_url"], ["DelaySeconds", "delay_seconds"]);
const BUCKET = pick(["Bucket", "bucket_name"], ["Key", "key"]);

/**
 * What each service's calls record of their input, after the X-Ray SDK's own list (`aws_whitelist.json`): DynamoDB's
 * table, SQS's queue, SNS's topic, S3's bucket and key, Lambda's function. Kinesis and EventBridge calls name no
 * resource there, so their node is the service's.
 */
const RESOURCES: Readonly<
  Record<string, (input: Record<string, unknown>, operation: string) => Record<string, unknown>>
> = {
  DynamoDB: (input, operation) =>
    operation === "BatchGetItem" || operation === "BatchWriteItem" ? tableNames(input, "RequestItems") : TABLE(input),
  SQS: (input, operation) => ({
    ...QUEUE(input),
    ...(operation === "SendMessage" && input.MessageAttributes && typeof input.MessageAttributes === "object"
      ? { message_attribute_names: Object.keys(input.MessageAttributes) }
      : {}),
    ...(operation === "SendMessageBatch" && Array.isArray(input.Entries)
      ? { message_count: input.Entries.length }
      : {}),
  }),
  SNS: pick(["TopicArn", "topic_arn"]),
  S3: BUCKET,
  Lambda: pick(["FunctionName", "function_name"], ["InvocationType", "invocation_type"]),
};

/** What the response adds: SQS's message id, DynamoDB's consumed capacity when asked for. */
const RESPONSE_FIELDS: Readonly<Record<string, readonly [from: string, to: string][]>> = {
  DynamoDB: [["ConsumedCapacity", "consumed_capacity"]],
  SQS: [["MessageId", "message_id"]],
};

/**
 * The fields of a call's `aws` object that name what it touched: its resource from the input, and what the answer
 * adds. Pure.
 *
 * @example
 * ```ts
 * callFields("DynamoDB", "Query", { TableName: "Users", IndexName: "byEmail" }, {}); // { table_name: "Users", index_name: "byEmail" }
 * ```
 */
export function callFields(
  service: string,
  operation: string,
  input: Record<string, unknown>,
  output: Record<string, unknown>,
): Record<string, unknown> {
  return { ...RESOURCES[service]?.(input, operation), ...pick(...(RESPONSE_FIELDS[service] ?? []))(output) };
}

/** A failed call as X-Ray counts it: a 4xx is the caller's `error`, a 5xx or no answer at all a `fault`. */
export function failureOf(status: number | undefined): FailureKind {
  return status !== undefined && status >= 400 && status < 500 ? "error" : "fault";
}

/** Whether an SDK error is throttling, as the SDK's retry strategy decides it. */
export function isThrottling(error: unknown, status: number | undefined): boolean {
  const e = (error ?? {}) as { name?: unknown; $retryable?: { throttling?: boolean } };
  return status === 429 || THROTTLING_ERROR_CODES.has(String(e.name)) || e.$retryable?.throttling === true;
}

async function regionOf(config: TraceableClient["config"]): Promise<string | undefined> {
  try {
    const region = typeof config.region === "function" ? await config.region() : config.region;
    return typeof region === "string" ? region : undefined;
  } catch {
    return undefined;
  }
}

const contentLength = (response: unknown): number | undefined => {
  const headers = (response as { headers?: Record<string, string | undefined> } | undefined)?.headers;
  const length = Number(headers?.["content-length"]);
  return headers?.["content-length"] !== undefined && Number.isFinite(length) ? length : undefined;
};

/** Writes what one call's answer (or error) says onto its subsegment. */
function recordCall(
  subsegment: Subsegment,
  call: { service: string; operation: string; region?: string; input: Record<string, unknown> },
  metadata: Metadata | undefined,
  answer: { output?: Record<string, unknown>; response?: unknown },
): void {
  const output = answer.output ?? {};
  subsegment.aws = {
    operation: call.operation,
    ...(call.region ? { region: call.region } : {}),
    ...(metadata?.requestId ? { request_id: metadata.requestId } : {}),
    ...(call.service === "S3" && metadata?.extendedRequestId ? { id_2: metadata.extendedRequestId } : {}),
    retries: Math.max(0, (metadata?.attempts ?? 1) - 1),
    ...callFields(call.service, call.operation, call.input, output),
  };
  const status = metadata?.httpStatusCode;
  const length = contentLength(answer.response);
  if (status !== undefined || length !== undefined)
    subsegment.http = {
      response: {
        ...(status !== undefined ? { status } : {}),
        ...(length !== undefined ? { content_length: length } : {}),
      },
    };
}

/** The middleware: one subsegment per call (outside the SDK's retries, which `aws.retries` counts). */
const tracingMiddleware =
  (config: TraceableClient["config"]) =>
  (next: Next, context: CallContext) =>
  async (args: BuildArgs): Promise<BuildOutput> => {
    const parent = currentEntity();
    if (!parent) return next(args);
    const service = (context.clientName ?? "AWS").replace(/Client$/, "");
    const operation = (context.commandName ?? "").replace(/Command$/, "");
    const input = args.input ?? {};
    const subsegment = new Subsegment(service, parent);
    subsegment.namespace = "aws";
    const headers = (args.request as { headers?: Record<string, string> } | undefined)?.headers;
    if (headers)
      headers["X-Amzn-Trace-Id"] = formatTraceHeader({
        root: subsegment.traceId,
        parent: subsegment.id,
        sampled: subsegment.sampled,
      });
    const region = await regionOf(config);
    try {
      const result = await next(args);
      recordCall(subsegment, { service, operation, region, input }, result.output?.$metadata, result);
      const status = result.output?.$metadata?.httpStatusCode;
      if (status !== undefined && status >= 400) subsegment.addFlag(failureOf(status));
      return result;
    } catch (error) {
      const metadata = (error as { $metadata?: Metadata } | undefined)?.$metadata;
      recordCall(subsegment, { service, operation, region, input }, metadata, {});
      const status = metadata?.httpStatusCode;
      if (isThrottling(error, status)) subsegment.addFlag("throttle");
      subsegment.addError(error, { remote: metadata !== undefined, kind: failureOf(status) });
      throw error;
    } finally {
      subsegment.close();
    }
  };

/**
 * Makes every call of an AWS SDK v3 client a subsegment of the current (sub)segment: a node on the service map.
 * Capturing a client twice keeps one middleware. Outside a traced invocation the calls go out untouched.
 *
 * @example
 * ```ts
 * const sqs = captureClient(new SQSClient({}));
 * ```
 */
export function captureClient<T>(client: T): T {
  const { middlewareStack, config } = client as unknown as TraceableClient;
  middlewareStack.remove(MIDDLEWARE_NAME);
  middlewareStack.add(tracingMiddleware(config), { step: "build", name: MIDDLEWARE_NAME, override: true });
  return client;
}
