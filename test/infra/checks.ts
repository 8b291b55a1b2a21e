/**
 * What the synthesized stacks must be, as functions of the resources and the topology. Each returns the problems it
 * finds (empty: fine), so a negative test can hand it broken input and watch it complain.
 */
import { isDeepStrictEqual } from "node:util";
import { resourceNameFor } from "../../shared/events/resources.js";
import { METRICS_NAMESPACE, SERVICE_DIMENSION } from "../../shared/metrics/index.js";
import {
  FUNCTION_RUNTIME,
  filterPolicy,
  functionBuild,
  homeRegion,
  isMultiRegion,
  pascal,
  type ResourceKind,
  replicaRegions,
  resourcesOfKind,
  rulePattern,
  shardsOnStage,
  sstNodejs,
  streamFilter,
  type Topology,
} from "../../shared/topology/index.js";
import type { SynthResource, SynthResult } from "./synthTypes.js";

export type Problems = string[];

const ACCESS_SCOPE = "aws.cognito.signin.user.admin";
const XRAY_POLICY = "AWSXRayDaemonWriteAccess";
/** Lambda refuses a function whose environment variables exceed 4 KB in total. */
const LAMBDA_ENV_LIMIT = 4096;

type Inputs = Record<string, unknown>;
const obj = (value: unknown): Inputs => (value && typeof value === "object" ? (value as Inputs) : {});
const arr = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);
const json = (value: unknown): unknown => (typeof value === "string" ? JSON.parse(value) : undefined);

export const ofType = (resources: readonly SynthResource[], type: string) =>
  resources.filter((r) => r.custom && r.type === type);
const named = (resources: readonly SynthResource[], type: string, name: string) =>
  ofType(resources, type).find((r) => r.name === name);
/** SST names a function's Lambda `<Name>Function` and its role `<Name>Role`; physical names embed `-<Name>Function-`. */
const lambdaOf = (resources: readonly SynthResource[], fn: string) =>
  named(resources, "aws:lambda/function:Function", `${fn}Function`);
const physical = (value: unknown, component: string, suffix: string) =>
  typeof value === "string" && value.includes(`-${component}${suffix}-`);

/**
 * Whether a pattern with AWS's two wildcards (`*` any characters, `/` included; `?` one) matches a value: CloudFront
 * path patterns and X-Ray sampling rules' fields both read them so.
 */
const wildcardMatch = (pattern: string, value: string): boolean =>
  new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, "\\$&")
      .replace(/\*/g, ".*")
      .replace(/\?/g, ".")}$`,
  ).test(value);

const ESM = "aws:lambda/eventSourceMapping:EventSourceMapping";
const USER_POOL = "aws:cognito/userPool:UserPool";
const USER_POOL_CLIENT = "aws:cognito/userPoolClient:UserPoolClient";
const RULE = "aws:cloudwatch/eventRule:EventRule";
const TOPIC_SUBSCRIPTION = "aws:sns/topicSubscription:TopicSubscription";
const LAMBDA_PERMISSION = "aws:lambda/permission:Permission";
const servicesWithRoutes = (topology: Topology) =>
  topology.services.filter((s) => topology.routes.some((r) => r.service === s.name));

/** Active tracing on every function, X-Ray write access on its role, tracing on every API stage and SNS topic. */
export function checkTracing(resources: readonly SynthResource[], topology: Topology): Problems {
  const problems: Problems = [];
  for (const fn of topology.functions) {
    const lambda = lambdaOf(resources, fn.name);
    if (!lambda) problems.push(`${fn.name}: no Lambda function`);
    else if (obj(lambda.inputs.tracingConfig).mode !== "Active") problems.push(`${fn.name}: tracing is not Active`);
    const role = named(resources, "aws:iam/role:Role", `${fn.name}Role`);
    if (!arr(role?.inputs.managedPolicyArns).some((a) => String(a).endsWith(`policy/${XRAY_POLICY}`)))
      problems.push(`${fn.name}: its role may not write to X-Ray`);
  }
  const stages = ofType(resources, "aws:apigateway/stage:Stage");
  if (stages.length !== servicesWithRoutes(topology).length)
    problems.push(`${stages.length} API stages for ${servicesWithRoutes(topology).length} services with routes`);
  for (const stage of stages)
    if (stage.inputs.xrayTracingEnabled !== true) problems.push(`stage ${stage.name}: X-Ray tracing is off`);
  for (const topic of ofType(resources, "aws:sns/topic:Topic"))
    if (topic.inputs.tracingConfig !== "Active") problems.push(`topic ${topic.name}: tracing is not Active`);
  return problems;
}

/** One custom domain for the stage, and exactly one base-path mapping per service with routes. */
export function checkDomain(resources: readonly SynthResource[], topology: Topology, domain: string): Problems {
  const problems: Problems = [];
  const created = ofType(resources, "aws:apigateway/domainName:DomainName").filter((d) => !d.id);
  if (created.length !== 1) problems.push(`${created.length} domains created; a stage has exactly one`);
  for (const d of created)
    if (d.inputs.domainName !== domain) problems.push(`domain ${d.inputs.domainName} is not ${domain}`);
  const mappings = ofType(resources, "aws:apigateway/basePathMapping:BasePathMapping");
  const actual = mappings.map((m) => String(m.inputs.basePath)).sort();
  const expected = servicesWithRoutes(topology)
    .map((s) => s.basePath.replace(/^\//, ""))
    .sort();
  if (!isDeepStrictEqual(actual, expected))
    problems.push(`base paths ${JSON.stringify(actual)}, expected ${JSON.stringify(expected)}`);
  for (const m of mappings)
    if (m.inputs.domainName !== domain) problems.push(`mapping ${m.inputs.basePath} is on ${m.inputs.domainName}`);
  return problems;
}

/** One rule, topic subscription or event source per consumed event, with the pattern/filter derived from its contract. */
export function checkDeliveries(resources: readonly SynthResource[], topology: Topology): Problems {
  const problems: Problems = [];
  const rules = ofType(resources, "aws:cloudwatch/eventRule:EventRule");
  const subscriptions = ofType(resources, "aws:sns/topicSubscription:TopicSubscription");
  const mappings = ofType(resources, ESM);
  for (const sub of topology.subscriptions) {
    const contract = topology.events[sub.event];
    if (!contract) {
      problems.push(`${sub.name}: no contract for ${sub.event}`);
      continue;
    }
    const { delivery } = sub;
    if (delivery.kind === "rule") {
      const found = rules.filter((r) => r.name.includes(sub.name));
      if (found.length !== 1) problems.push(`${sub.name}: ${found.length} bus rules`);
      else if (!isDeepStrictEqual(json(found[0]!.inputs.eventPattern), rulePattern(contract)))
        problems.push(`${sub.name}: rule pattern ${found[0]!.inputs.eventPattern} is not the contract's`);
    }
    if (delivery.kind === "topic") {
      const found = subscriptions.filter((s) => s.name.includes(sub.name));
      if (found.length !== 1) problems.push(`${sub.name}: ${found.length} topic subscriptions`);
      else {
        if (!isDeepStrictEqual(json(found[0]!.inputs.filterPolicy), filterPolicy(contract)))
          problems.push(`${sub.name}: filter policy ${found[0]!.inputs.filterPolicy} is not the contract's`);
        if (!physical(found[0]!.inputs.topic, delivery.topic, "Topic"))
          problems.push(`${sub.name}: subscribed to the wrong topic`);
      }
    }
    if (delivery.kind === "stream") {
      const found = mappings.filter((m) => m.name.includes(sub.name));
      if (found.length !== 1) problems.push(`${sub.name}: ${found.length} stream event sources`);
      else {
        const filters = arr(obj(found[0]!.inputs.filterCriteria).filters).map((f) => json(obj(f).pattern));
        if (!isDeepStrictEqual(filters, [streamFilter(contract)]))
          problems.push(`${sub.name}: stream filter ${JSON.stringify(filters)} is not the contract's`);
      }
    }
    if (sub.trigger.kind === "sqs") {
      const queue = sub.trigger.queue;
      const found = mappings.filter(
        (m) =>
          physical(m.inputs.eventSourceArn, queue, "Queue") &&
          physical(m.inputs.functionName, sub.function, "Function"),
      );
      if (found.length !== 1) problems.push(`${sub.name}: ${found.length} event sources from ${queue}`);
    }
  }
  const ruleCount = topology.subscriptions.filter((s) => s.delivery.kind === "rule").length;
  if (rules.length !== ruleCount) problems.push(`${rules.length} bus rules for ${ruleCount} bus subscriptions`);
  const topicCount = topology.subscriptions.filter((s) => s.delivery.kind === "topic").length;
  if (subscriptions.length !== topicCount)
    problems.push(`${subscriptions.length} topic subscriptions for ${topicCount} topic subscriptions`);
  return problems;
}

/** Every async consumer ends in its DLQ: redrive policies, on-failure destinations, the async invoke config. */
export function checkFailureHandling(resources: readonly SynthResource[], topology: Topology): Problems {
  const problems: Problems = [];
  const queueResource = (name: string) => named(resources, "aws:sqs/queue:Queue", `${name}Queue`);
  for (const queue of topology.queues.filter((q) => q.dlq)) {
    const redrive = json(queueResource(queue.name)?.inputs.redrivePolicy) as Inputs | undefined;
    if (!redrive || !physical(redrive.deadLetterTargetArn, queue.dlq!, "Queue"))
      problems.push(`queue ${queue.name}: no redrive policy to ${queue.dlq}`);
    else if (redrive.maxReceiveCount !== queue.maxReceiveCount)
      problems.push(
        `queue ${queue.name}: maxReceiveCount ${redrive.maxReceiveCount}, expected ${queue.maxReceiveCount}`,
      );
  }
  for (const sub of topology.subscriptions) {
    const { trigger } = sub;
    if (trigger.kind === "async") {
      const config = ofType(resources, "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig").find((c) =>
        physical(c.inputs.functionName, sub.function, "Function"),
      );
      const destination = obj(obj(config?.inputs.destinationConfig).onFailure).destination;
      if (!config || !physical(destination, trigger.onFailure, "Queue"))
        problems.push(`${sub.name}: async failures do not go to ${trigger.onFailure}`);
      else if (config.inputs.maximumRetryAttempts !== trigger.retries)
        problems.push(`${sub.name}: ${config.inputs.maximumRetryAttempts} async retries, expected ${trigger.retries}`);
    }
    if (trigger.kind === "kinesis") {
      const mapping = ofType(resources, ESM).find((m) => m.name.includes(sub.name));
      const i = mapping?.inputs ?? {};
      if (!physical(obj(obj(i.destinationConfig).onFailure).destinationArn, trigger.onFailure, "Queue"))
        problems.push(`${sub.name}: stream failures do not go to ${trigger.onFailure}`);
      if (i.bisectBatchOnFunctionError !== true) problems.push(`${sub.name}: a failing batch is not bisected`);
      if (i.maximumRetryAttempts !== trigger.retries) problems.push(`${sub.name}: retries are not ${trigger.retries}`);
      if (i.startingPosition !== "TRIM_HORIZON") problems.push(`${sub.name}: does not start at TRIM_HORIZON (replay)`);
    }
    if (trigger.kind === "sqs" && !topology.queues.find((q) => q.name === trigger.queue)?.dlq)
      problems.push(`${sub.name}: its queue ${trigger.queue} has no DLQ`);
  }
  return problems;
}

/**
 * A function that installs native packages (the media worker's `sharp`) has them installed into its package for the
 * architecture its Lambda runs on, and not bundled: sharp's binary is per platform and architecture, and the one
 * `npm install` put on the build machine is not necessarily Lambda's.
 */
export function checkNativePackages(result: Pick<SynthResult, "resources" | "installs">, topology: Topology): Problems {
  const problems: Problems = [];
  for (const fn of topology.functions) {
    const built = result.installs[fn.name];
    if (!fn.install?.length) {
      if (built) problems.push(`${fn.name} installs ${built.packages.join(", ")}, which it does not declare`);
      continue;
    }
    if (!built) {
      problems.push(`${fn.name}: ${fn.install.join(", ")} not installed into its package`);
      continue;
    }
    for (const pkg of fn.install)
      if (!built.packages.includes(pkg)) problems.push(`${fn.name}: ${pkg} not installed into its package`);
    if (built.bundled.length > 0) problems.push(`${fn.name}: ${built.bundled.join(", ")} bundled, not installed`);
    const lambda = lambdaOf(result.resources, fn.name);
    const architecture = arr(lambda?.inputs.architectures)[0] ?? "x86_64";
    if (built.architecture !== architecture)
      problems.push(
        `${fn.name}: packages installed for ${built.architecture || "no architecture"}, Lambda runs ${String(architecture)}`,
      );
  }
  return problems;
}

/**
 * Every function is handed to SST's build as the one definition the local runtime and the bench bundle with
 * (`functionBuild`), every option explicit: SST's own defaults differ (unminified, `keepNames`, `module` first), its
 * target follows the runtime, and its banner (which declares `require`) must stay the only one.
 */
export function checkBundling(result: Pick<SynthResult, "nodejs">, topology: Topology): Problems {
  const problems: Problems = [];
  for (const fn of topology.functions) {
    const sent = result.nodejs[fn.name];
    if (!sent) {
      problems.push(`${fn.name}: never built`);
      continue;
    }
    if (sent.runtime !== FUNCTION_RUNTIME)
      problems.push(`${fn.name}: built for ${sent.runtime}, the definition is for ${FUNCTION_RUNTIME}`);
    const expected = sstNodejs(functionBuild(fn.install ?? []));
    const esbuild = obj(sent.nodejs.esbuild);
    const install = sent.nodejs.install;
    const options: Array<[string, unknown, unknown]> = [
      ["format", sent.nodejs.format, expected.format],
      ["minify", sent.nodejs.minify, expected.minify],
      ["splitting", sent.nodejs.splitting, expected.splitting],
      // SST hands `install: ["sharp"]` to its build as `{ sharp: "*" }`.
      [
        "install",
        (Array.isArray(install) ? [...install] : Object.keys(obj(install))).sort(),
        [...(expected.install ?? [])].sort(),
      ],
      ["esbuild.target", esbuild.target, expected.esbuild.target],
      ["esbuild.keepNames", esbuild.keepNames, expected.esbuild.keepNames],
      ["esbuild.mainFields", esbuild.mainFields, expected.esbuild.mainFields],
    ];
    for (const [option, actual, wanted] of options)
      if (!isDeepStrictEqual(actual, wanted))
        problems.push(`${fn.name}: ${option} ${JSON.stringify(actual) ?? "unset"}, expected ${JSON.stringify(wanted)}`);
    if (sent.nodejs.banner !== undefined)
      problems.push(`${fn.name}: a banner after SST's own, which already declares require`);
  }
  return problems;
}

/**
 * A bucket of the topology stays private and holds its objects safely: every public access blocked, encrypted at
 * rest by default, CORS for the browsers' presigned PUTs (and nothing else), and incomplete multipart uploads aborted.
 */
export function checkBuckets(resources: readonly SynthResource[], topology: Topology): Problems {
  const problems: Problems = [];
  const ofBucket = (type: string, name: string) =>
    ofType(resources, type).find((r) => r.name.startsWith(name) && r.type === type);
  for (const node of resourcesOfKind(topology.resources, "bucket")) {
    const block = ofBucket("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", node.name)?.inputs ?? {};
    for (const flag of ["blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"])
      if (block[flag] !== true) problems.push(`${node.name}: public access not blocked (${flag})`);
    const sse = ofBucket(
      "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
      node.name,
    );
    const rule = obj(arr(sse?.inputs.rules)[0]);
    if (obj(rule.applyServerSideEncryptionByDefault).sseAlgorithm === undefined)
      problems.push(`${node.name}: not encrypted by default`);
    const lifecycle = ofBucket("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", node.name);
    const aborts = arr(lifecycle?.inputs.rules).some(
      (r) =>
        obj(r).status === "Enabled" && obj(obj(r).abortIncompleteMultipartUpload).daysAfterInitiation !== undefined,
    );
    if (!aborts) problems.push(`${node.name}: incomplete uploads are kept`);
    const cors = ofBucket("aws:s3/bucketCorsConfiguration:BucketCorsConfiguration", node.name);
    const corsRules = arr(cors?.inputs.corsRules).map(obj);
    const puts = corsRules.some(
      (r) =>
        arr(r.allowedMethods).includes("PUT") &&
        ["content-type", "content-length"].every((h) => arr(r.allowedHeaders).map(String).includes(h)),
    );
    if (!puts) problems.push(`${node.name}: browsers cannot PUT uploads (CORS)`);
    if (corsRules.some((r) => arr(r.allowedMethods).some((m) => m !== "PUT" && m !== "GET" && m !== "HEAD")))
      problems.push(`${node.name}: CORS allows more than uploads and reads`);
  }
  return problems;
}

/**
 * Every table has the key schema and the indexes its service declares, each index with its keys and projection
 * (`KEYS_ONLY` where declared, so counters that move do not rewrite a list index): the lists are served by these, never
 * by a scan, so a missing or different index is a broken read path.
 */
export function checkIndexes(resources: readonly SynthResource[], topology: Topology): Problems {
  const problems: Problems = [];
  for (const table of topology.tables) {
    const found = named(resources, "aws:dynamodb/table:Table", `${table.name}Table`);
    if (!found) {
      problems.push(`table ${table.name}: not created`);
      continue;
    }
    if (found.inputs.hashKey !== table.partitionKey || (found.inputs.rangeKey ?? undefined) !== table.sortKey)
      problems.push(`table ${table.name}: keys are not ${table.partitionKey}/${table.sortKey ?? "-"}`);
    const built = new Map(arr(found.inputs.globalSecondaryIndexes).map((i) => [String(obj(i).name), obj(i)]));
    const declared = Object.entries(table.indexes ?? {});
    if (built.size !== declared.length)
      problems.push(`table ${table.name}: ${built.size} indexes, ${declared.length} declared`);
    for (const [name, index] of declared) {
      const gsi = built.get(name);
      if (!gsi) {
        problems.push(`table ${table.name}: no index ${name}`);
        continue;
      }
      if (gsi.hashKey !== index.partitionKey || (gsi.rangeKey ?? undefined) !== index.sortKey)
        problems.push(`table ${table.name}: index ${name} is not on ${index.partitionKey}/${index.sortKey ?? "-"}`);
      const projection = index.projection ?? "ALL";
      if (gsi.projectionType !== projection)
        problems.push(`table ${table.name}: index ${name} projects ${String(gsi.projectionType)}, not ${projection}`);
    }
  }
  return problems;
}

/**
 * Every table streams its changes with the view the topology says, and every outbox's publisher reads its table's
 * stream through a mapping that passes outbox inserts only, from the oldest record, bisecting a failing batch,
 * reporting failures per record, retrying as the topology says and sending what it gives up to the publisher's DLQ.
 * Only the publisher of a service reaches the transports of its events: no other function of it may publish.
 */
export function checkOutboxes(resources: readonly SynthResource[], topology: Topology): Problems {
  const problems: Problems = [];
  for (const table of topology.tables) {
    const found = named(resources, "aws:dynamodb/table:Table", `${table.name}Table`);
    if (!found) problems.push(`table ${table.name}: not created`);
    else if (found.inputs.streamEnabled !== true) problems.push(`table ${table.name}: no stream`);
    else if (found.inputs.streamViewType !== table.stream)
      problems.push(`table ${table.name}: stream keeps ${String(found.inputs.streamViewType)}, not ${table.stream}`);
  }
  for (const outbox of topology.outboxes) {
    const { trigger } = outbox;
    // A table's stream ARN is `<table ARN>/stream/<label>`.
    const tableArn = named(resources, "aws:dynamodb/table:Table", `${trigger.table}Table`)?.arn;
    const mapping = ofType(resources, ESM).find(
      (m) =>
        physical(m.inputs.functionName, outbox.function, "Function") &&
        String(m.inputs.eventSourceArn).startsWith(`${tableArn}/stream/`),
    );
    if (!tableArn || !mapping) {
      problems.push(`${outbox.function}: not subscribed to ${trigger.table}'s stream`);
      continue;
    }
    const i = mapping.inputs;
    const filters = arr(obj(i.filterCriteria).filters).map((f) => json(obj(f).pattern));
    if (!isDeepStrictEqual(filters, [trigger.filterPattern]))
      problems.push(`${outbox.function}: its stream filter is not the outbox filter (${JSON.stringify(filters)})`);
    if (i.startingPosition !== "TRIM_HORIZON") problems.push(`${outbox.function}: does not start at TRIM_HORIZON`);
    if (i.bisectBatchOnFunctionError !== true) problems.push(`${outbox.function}: a failing batch is not bisected`);
    if (!isDeepStrictEqual(i.functionResponseTypes, ["ReportBatchItemFailures"]))
      problems.push(`${outbox.function}: no partial batch responses`);
    if (i.maximumRetryAttempts !== trigger.retries)
      problems.push(`${outbox.function}: retries are ${String(i.maximumRetryAttempts)}, not ${trigger.retries}`);
    if (i.maximumRecordAgeInSeconds !== trigger.maxRecordAgeSeconds)
      problems.push(`${outbox.function}: record age is not ${trigger.maxRecordAgeSeconds} s`);
    if (!physical(obj(obj(i.destinationConfig).onFailure).destinationArn, trigger.onFailure, "Queue"))
      problems.push(`${outbox.function}: failures do not go to ${trigger.onFailure}`);
  }
  for (const service of topology.services) {
    const outbox = topology.outboxes.find((o) => o.service === service.name);
    if (!outbox) continue;
    const transports = new Set(
      outbox.events
        .map((type) => topology.events[type])
        .filter((c) => c !== undefined)
        .map((c) => resourceNameFor(c)),
    );
    for (const transport of transports) {
      const arn = linkArn(resources, transport);
      if (!arn) continue;
      // A consumer of the service's own stream is granted it to read it (its event source): not a way around.
      const readers = new Set(
        topology.subscriptions.flatMap((s) =>
          s.trigger.kind === "kinesis" && s.trigger.stream === transport ? [s.function] : [],
        ),
      );
      const around = topology.functions.filter(
        (f) => f.service === service.name && f.name !== outbox.function && !readers.has(f.name),
      );
      for (const fn of around) {
        const role = named(resources, "aws:iam/role:Role", `${fn.name}Role`);
        const policies = arr(role?.inputs.inlinePolicies).map((p) => json(obj(p).policy) as Inputs);
        const granted = policies.flatMap((p) => arr(p.Statement)).flatMap((st) => arr(obj(st).Resource).map(String));
        if (granted.some((r) => r === arn || r.startsWith(`${arn}/`)))
          problems.push(`${fn.name} may publish to ${transport} around ${service.name}'s outbox`);
      }
    }
  }
  return problems;
}

/**
 * One provisioned stream per Kinesis event, with the shards the topology derives from the contract's peak (a fixed
 * count keeps the key-to-shard mapping, and so the order per key, stable).
 */
export function checkStreams(resources: readonly SynthResource[], topology: Topology, stage: string): Problems {
  const problems: Problems = [];
  const streams = ofType(resources, "aws:kinesis/stream:Stream");
  if (streams.length !== topology.streams.length)
    problems.push(`${streams.length} streams for ${topology.streams.length} Kinesis events`);
  for (const stream of topology.streams) {
    const found = named(resources, "aws:kinesis/stream:Stream", `${stream.name}Stream`);
    if (!found) problems.push(`${stream.name}: no stream`);
    else if (obj(found.inputs.streamModeDetails).streamMode !== "PROVISIONED")
      problems.push(`${stream.name}: not in provisioned mode`);
    else if (found.inputs.shardCount !== shardsOnStage(stream.shards, stage))
      problems.push(
        `${stream.name}: ${String(found.inputs.shardCount)} shards, expected ${shardsOnStage(stream.shards, stage)}`,
      );
  }
  return problems;
}

/** SQS and Kinesis event sources report partial batch failures; SQS ones honour the consumer's concurrency. */
export function checkBatchResponses(resources: readonly SynthResource[], topology: Topology): Problems {
  const problems: Problems = [];
  const mappings = ofType(resources, ESM);
  const expected = topology.subscriptions.filter((s) => s.trigger.kind === "sqs" || s.trigger.kind === "kinesis");
  const sources = expected.length + topology.outboxes.length;
  if (mappings.length !== sources)
    problems.push(
      `${mappings.length} event sources for ${expected.length} consumers and ${topology.outboxes.length} outboxes`,
    );
  for (const m of mappings)
    if (!isDeepStrictEqual(m.inputs.functionResponseTypes, ["ReportBatchItemFailures"]))
      problems.push(`${m.name}: no partial batch responses`);
  for (const sub of topology.subscriptions) {
    const { trigger } = sub;
    if (trigger.kind !== "sqs") continue;
    const m = mappings.find(
      (x) =>
        physical(x.inputs.eventSourceArn, trigger.queue, "Queue") &&
        physical(x.inputs.functionName, sub.function, "Function"),
    );
    if (m && m.inputs.batchSize !== trigger.batchSize) problems.push(`${sub.name}: batch size ${m.inputs.batchSize}`);
    if (m && trigger.concurrency && obj(m.inputs.scalingConfig).maximumConcurrency !== trigger.concurrency)
      problems.push(`${sub.name}: maximum concurrency is not ${trigger.concurrency}`);
  }
  return problems;
}

/** The resource each link name stands for, as SST names the underlying resource (`<Name>Table`, `<Name>Queue`, …). */
const LINK_RESOURCES: [string, string][] = [
  ["aws:dynamodb/table:Table", "Table"],
  ["aws:sqs/queue:Queue", "Queue"],
  ["aws:sns/topic:Topic", "Topic"],
  ["aws:kinesis/stream:Stream", "Stream"],
  ["aws:cloudwatch/eventBus:EventBus", "Bus"],
  ["aws:cognito/userPool:UserPool", "UserPool"],
  ["aws:s3/bucket:Bucket", "Bucket"],
  ["aws:s3/bucketV2:BucketV2", "Bucket"],
];

function linkArn(resources: readonly SynthResource[], link: string): string | undefined {
  for (const [type, suffix] of LINK_RESOURCES) {
    const found = named(resources, type, `${link}${suffix}`);
    if (found?.arn) return found.arn;
  }
  return undefined;
}

/** Each function's inline policy names its links' resources and nothing else: no `*`, no other service's data. */
export function checkLeastPrivilege(resources: readonly SynthResource[], topology: Topology): Problems {
  const problems: Problems = [];
  for (const fn of topology.functions) {
    const role = named(resources, "aws:iam/role:Role", `${fn.name}Role`);
    const policies = arr(role?.inputs.inlinePolicies).map((p) => json(obj(p).policy) as Inputs);
    const granted = policies.flatMap((p) => arr(p.Statement)).flatMap((s) => arr(obj(s).Resource).map(String));
    const allowed = new Map<string, string>();
    for (const link of fn.links) {
      const arn = linkArn(resources, link);
      if (!arn) problems.push(`${fn.name}: its link ${link} has no resource`);
      else allowed.set(arn, link);
    }
    for (const resource of granted) {
      const base = [...allowed.keys()].find((arn) => resource === arn || resource.startsWith(`${arn}/`));
      if (!base) problems.push(`${fn.name} (${fn.service}) may reach ${resource}, which it does not link`);
    }
    for (const [arn, link] of allowed)
      if (!granted.some((r) => r === arn || r.startsWith(`${arn}/`)))
        problems.push(`${fn.name} may not reach its link ${link}`);
  }
  return problems;
}

/**
 * Every function's handler was bundled from its `<file>.<export>`, with code splitting (what `npm run bench`
 * measures), and is the handler the Lambda runs.
 */
export function checkHandlers(
  result: Pick<SynthResult, "resources" | "builds" | "splitBuilds" | "errors">,
  topology: Topology,
): Problems {
  const problems: Problems = result.errors.filter((e) =>
    /export named|Could not find the handler|Could not resolve/.test(e),
  );
  for (const fn of topology.functions) {
    if (result.builds[fn.name] !== fn.handler) problems.push(`${fn.name}: ${fn.handler} was not bundled`);
    else if (!result.splitBuilds.includes(fn.name)) problems.push(`${fn.name}: bundled without code splitting`);
    const lambda = lambdaOf(result.resources, fn.name);
    if (lambda && lambda.inputs.handler !== fn.handler) problems.push(`${fn.name}: runs ${lambda.inputs.handler}`);
  }
  return problems;
}

/** Links and aliases are in the environment as `SST_RESOURCE_<name>`; `FailureQueue` is the consumer's own DLQ. */
export function checkEnvironment(resources: readonly SynthResource[], topology: Topology): Problems {
  const problems: Problems = [];
  for (const fn of topology.functions) {
    const env = obj(obj(lambdaOf(resources, fn.name)?.inputs.environment).variables);
    for (const name of [...fn.links, ...Object.keys(fn.aliases)])
      if (typeof env[`SST_RESOURCE_${name}`] !== "string") problems.push(`${fn.name}: SST_RESOURCE_${name} is not set`);
    for (const [alias, target] of Object.entries(fn.aliases)) {
      const value = json(env[`SST_RESOURCE_${alias}`]) as Inputs | undefined;
      if (value && !physical(value.url, target, "Queue")) problems.push(`${fn.name}: ${alias} is not ${target}`);
    }
    const size = Object.entries(env).reduce((n, [k, v]) => n + k.length + String(v).length, 0);
    if (size > LAMBDA_ENV_LIMIT)
      problems.push(`${fn.name}: environment is ${size} bytes (Lambda allows ${LAMBDA_ENV_LIMIT})`);
  }
  return problems;
}

/** Authorized routes take Cognito access tokens only (the scope makes API Gateway refuse ID tokens). */
export function checkAuth(resources: readonly SynthResource[], topology: Topology): Problems {
  const problems: Problems = [];
  const methods = ofType(resources, "aws:apigateway/method:Method").filter((m) => m.inputs.httpMethod !== "OPTIONS");
  const cognito = methods.filter((m) => m.inputs.authorization === "COGNITO_USER_POOLS");
  const auth = topology.routes.filter((r) => r.auth).length;
  if (methods.length !== topology.routes.length)
    problems.push(`${methods.length} methods for ${topology.routes.length} routes`);
  if (cognito.length !== auth)
    problems.push(`${cognito.length} Cognito-authorized methods for ${auth} authorized routes`);
  for (const m of cognito)
    if (!isDeepStrictEqual(m.inputs.authorizationScopes, [ACCESS_SCOPE])) problems.push(`${m.name}: accepts ID tokens`);
  for (const client of ofType(resources, "aws:cognito/userPoolClient:UserPoolClient")) {
    const flows = arr(client.inputs.explicitAuthFlows);
    if (!flows.includes("ALLOW_USER_PASSWORD_AUTH") || !flows.includes("ALLOW_REFRESH_TOKEN_AUTH"))
      problems.push(`${client.name}: no USER_PASSWORD_AUTH and refresh`);
  }
  return problems;
}

/** An alarm per DLQ, per function and per stream consumer; a dashboard per service. */
export function checkMonitoring(resources: readonly SynthResource[], topology: Topology, stage: string): Problems {
  const problems: Problems = [];
  const alarms = ofType(resources, "aws:cloudwatch/metricAlarm:MetricAlarm");
  const alarmOn = (metric: string, dimension: string, component: string, suffix: string) =>
    alarms.some(
      (a) => a.inputs.metricName === metric && physical(obj(a.inputs.dimensions)[dimension], component, suffix),
    );
  for (const q of topology.queues.filter((x) => x.role === "dlq"))
    if (!alarmOn("ApproximateNumberOfMessagesVisible", "QueueName", q.name, "Queue"))
      problems.push(`DLQ ${q.name}: no depth alarm`);
  for (const fn of topology.functions)
    if (!alarmOn("Errors", "FunctionName", fn.name, "Function")) problems.push(`${fn.name}: no error alarm`);
  for (const sub of topology.subscriptions) {
    const { trigger } = sub;
    if (
      trigger.kind === "kinesis" &&
      !alarmOn("GetRecords.IteratorAgeMilliseconds", "StreamName", trigger.stream, "Stream")
    )
      problems.push(`${sub.name}: no iterator age alarm`);
  }
  for (const outbox of topology.outboxes)
    if (!alarmOn("IteratorAge", "FunctionName", outbox.function, "Function"))
      problems.push(`${outbox.function}: no outbox lag alarm`);
  const dashboards = ofType(resources, "aws:cloudwatch/dashboard:Dashboard").map((d) => d.inputs.dashboardName);
  for (const service of topology.services)
    if (!dashboards.includes(`summit-${stage}-${service.name}`)) problems.push(`${service.name}: no dashboard`);
  return problems;
}

/** What one dashboard charts: `<metric>|<dimension>=<value>,…` for each metric line, and each search expression. */
function chartedOn(dashboard: SynthResource | undefined): { lines: Set<string>; searches: string[] } {
  const lines = new Set<string>();
  const searches: string[] = [];
  const body = obj(json(dashboard?.inputs.dashboardBody));
  for (const widget of arr(body.widgets)) {
    const properties = obj(obj(widget).properties);
    for (const metric of arr(properties.metrics)) {
      if (typeof obj(metric).expression === "string") searches.push(String(obj(metric).expression));
      if (!Array.isArray(metric)) continue;
      const [namespace, name, ...rest] = metric as unknown[];
      const options = obj(rest.at(-1));
      const pairs = rest.filter((x) => typeof x === "string") as string[];
      const dims = Array.from({ length: pairs.length / 2 }, (_, i) => `${pairs[2 * i]}=${pairs[2 * i + 1]}`);
      const stat = String(options.stat ?? properties.stat ?? "");
      lines.add(`${namespace}/${name}|${dims.join(",")}|${stat}`);
    }
  }
  return { lines, searches };
}

/**
 * Each service's dashboard charts every business metric it declares (the topology's `metrics`): a metric without an
 * extra dimension under its `service`, one with an extra dimension through a search over that dimension, in the
 * project's namespace. And each of the service's functions' p99 duration.
 */
export function checkDashboards(resources: readonly SynthResource[], topology: Topology, stage: string): Problems {
  const problems: Problems = [];
  const dashboards = ofType(resources, "aws:cloudwatch/dashboard:Dashboard");
  for (const service of topology.services) {
    const dashboard = dashboards.find((d) => d.inputs.dashboardName === `summit-${stage}-${service.name}`);
    if (!dashboard) {
      problems.push(`${service.name}: no dashboard`);
      continue;
    }
    const { lines, searches } = chartedOn(dashboard);
    for (const metric of service.metrics) {
      const extra = metric.dimensions.filter((d) => d !== SERVICE_DIMENSION);
      const charted =
        extra.length === 0
          ? [...lines].some((l) => l.startsWith(`${METRICS_NAMESPACE}/${metric.name}|service=${service.name}|`))
          : searches.some(
              (e) =>
                e.includes(`{${[METRICS_NAMESPACE, ...metric.dimensions].join(",")}}`) &&
                e.includes(`MetricName="${metric.name}"`) &&
                e.includes(`${SERVICE_DIMENSION}="${service.name}"`),
            );
      if (!charted) problems.push(`${service.name}: ${metric.name} is not on its dashboard`);
    }
    for (const fn of service.functions) {
      const p99 = [...lines].some(
        (l) => l.startsWith("AWS/Lambda/Duration|FunctionName=") && l.includes(`-${fn}Function-`) && l.endsWith("|p99"),
      );
      if (!p99) problems.push(`${service.name}: ${fn}'s p99 duration is not on its dashboard`);
    }
  }
  return problems;
}

/** The most production may sample of reads beyond the reservoir, and the largest reservoir a second it may keep. */
export const MAX_READ_RATE = 0.01;
export const MAX_READ_RESERVOIR = 10;
const SAMPLING_RULE = "aws:xray/samplingRule:SamplingRule";

/** Whether an X-Ray sampling rule's `httpMethod` (with `*` and `?` wildcards) matches `method`. */
const methodMatches = (pattern: unknown, method: string) =>
  typeof pattern === "string" && wildcardMatch(pattern, method);

/**
 * X-Ray sampling rules, per service with routes, matching its REST API (`<api name>/*`): production traces every
 * write (a rule at 100 % for each write method its routes use) and samples reads at a bounded rate (every rule that
 * matches a GET at most {@link MAX_READ_RATE} with a reservoir of at most {@link MAX_READ_RESERVOIR} a second, and at
 * least one such rule); any other stage samples everything. Rule names fit X-Ray's 32 characters and are unique.
 */
export function checkSampling(resources: readonly SynthResource[], topology: Topology, stage: string): Problems {
  const problems: Problems = [];
  const rules = ofType(resources, SAMPLING_RULE);
  const names = rules.map((r) => String(r.inputs.ruleName ?? ""));
  for (const name of names)
    if (name.length === 0 || name.length > 32) problems.push(`rule name "${name}" is not 1-32 characters`);
  if (new Set(names).size !== names.length) problems.push("two sampling rules share a name");
  for (const service of servicesWithRoutes(topology)) {
    const api = `${pascal(service.name)}Api`;
    const own = rules.filter(
      (r) => physical(r.inputs.serviceName, api, "Api") && String(r.inputs.serviceName).endsWith("/*"),
    );
    const methods = [...new Set(topology.routes.filter((r) => r.service === service.name).map((r) => r.method))];
    if (own.length === 0) {
      problems.push(`${service.name}: no sampling rule for its API`);
      continue;
    }
    for (const rule of own)
      if (rule.inputs.serviceType !== "AWS::ApiGateway::Stage" || rule.inputs.urlPath !== "*")
        problems.push(`${service.name}: rule ${rule.inputs.ruleName} does not match its API stage's every path`);
    if (stage !== "production") {
      if (!own.some((r) => r.inputs.httpMethod === "*" && r.inputs.fixedRate === 1))
        problems.push(`${service.name}: not every request is sampled on ${stage}`);
      continue;
    }
    for (const method of methods.filter((m) => m !== "GET")) {
      // X-Ray applies the first matching rule by priority: the write rule must come before any that matches it.
      const first = [...own]
        .filter((r) => methodMatches(r.inputs.httpMethod, method))
        .sort((a, b) => Number(a.inputs.priority) - Number(b.inputs.priority))[0];
      if (first?.inputs.fixedRate !== 1) problems.push(`${service.name}: not every ${method} is traced`);
    }
    if (!methods.includes("GET")) continue;
    const reads = own.filter((r) => methodMatches(r.inputs.httpMethod, "GET"));
    if (reads.length === 0) problems.push(`${service.name}: no rule samples its reads`);
    for (const rule of reads) {
      if (!(Number(rule.inputs.fixedRate) <= MAX_READ_RATE))
        problems.push(`${service.name}: rule ${rule.inputs.ruleName} samples ${rule.inputs.fixedRate} of reads`);
      if (!(Number(rule.inputs.reservoirSize) <= MAX_READ_RESERVOIR))
        problems.push(
          `${service.name}: rule ${rule.inputs.ruleName} keeps ${rule.inputs.reservoirSize} reads a second`,
        );
    }
  }
  return problems;
}

/**
 * Production keeps its data (retain, deletion protection) and refuses `sst remove`; other stages clean up. Data is
 * tables, buckets and user pools: a pool holds identities and passwords that nothing can restore.
 */
export function checkRetention(result: Pick<SynthResult, "app" | "resources" | "retained" | "outputs">): Problems {
  const problems: Problems = [];
  const production = result.app.stage === "production";
  if (result.app.removal !== (production ? "retain" : "remove")) problems.push(`removal is ${result.app.removal}`);
  if (result.app.protect !== production || result.outputs._protect !== production)
    problems.push(`protect is ${result.app.protect}`);
  for (const type of ["aws:dynamodb/table:Table", "aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2", USER_POOL])
    for (const r of ofType(result.resources, type)) {
      if (result.retained.includes(`${type} ${r.name}`) !== production)
        problems.push(`${r.name} is ${production ? "not " : ""}retained on delete`);
    }
  for (const table of ofType(result.resources, "aws:dynamodb/table:Table"))
    if (Boolean(table.inputs.deletionProtectionEnabled) !== production)
      problems.push(`${table.name}: deletion protection is ${Boolean(table.inputs.deletionProtectionEnabled)}`);
  for (const pool of ofType(result.resources, USER_POOL))
    if ((pool.inputs.deletionProtection === "ACTIVE") !== production)
      problems.push(`${pool.name}: deletion protection is ${pool.inputs.deletionProtection ?? "unset"}`);
  return problems;
}

/** A service's user pool as synthesized: its resource and, through their `userPoolId`, its app clients. */
interface FoundPool {
  readonly service: string;
  readonly name: string;
  readonly pool: SynthResource | undefined;
  readonly clients: readonly SynthResource[];
}

function userPoolsOf(resources: readonly SynthResource[], topology: Topology): FoundPool[] {
  const clients = ofType(resources, USER_POOL_CLIENT);
  return resourcesOfKind(topology.resources, "userPool").map((node) => {
    const pool = named(resources, USER_POOL, `${node.name}UserPool`);
    const own = pool ? clients.filter((c) => c.inputs.userPoolId === pool.physicalId) : [];
    return { service: node.service, name: node.name, pool, clients: own };
  });
}

/** The contract asks a password for at least 8 characters and nothing more. */
const PASSWORD_MIN_LENGTH = 8;
const CHARACTER_CLASSES = ["requireLowercase", "requireUppercase", "requireNumbers", "requireSymbols"];

/** Email is the username (compared case-insensitively), and a password needs 8 characters and no character class. */
export function checkUserPool(resources: readonly SynthResource[], topology: Topology): Problems {
  const problems: Problems = [];
  const found = userPoolsOf(resources, topology);
  const all = ofType(resources, USER_POOL);
  if (all.length !== found.length) problems.push(`${all.length} user pools for ${found.length} that services declare`);
  for (const { name, pool } of found) {
    if (!pool) {
      problems.push(`${name}: no user pool`);
      continue;
    }
    const i = pool.inputs;
    if (!isDeepStrictEqual(i.usernameAttributes, ["email"]))
      problems.push(`${name}: usernames are ${JSON.stringify(i.usernameAttributes)}, not the email`);
    if (arr(i.aliasAttributes).length > 0) problems.push(`${name}: has aliases ${JSON.stringify(i.aliasAttributes)}`);
    if (obj(i.usernameConfiguration).caseSensitive !== false) problems.push(`${name}: usernames are case-sensitive`);
    // Cognito's own sender has a small daily quota, past which SignUp fails: sign-up must not need it.
    if (arr(i.autoVerifiedAttributes).length > 0 && obj(i.emailConfiguration).emailSendingAccount !== "DEVELOPER")
      problems.push(`${name}: every sign-up emails a code through Cognito's default sender`);
    const policy = obj(i.passwordPolicy);
    if (policy.minimumLength !== PASSWORD_MIN_LENGTH)
      problems.push(`${name}: minimum password length ${policy.minimumLength}, not ${PASSWORD_MIN_LENGTH}`);
    // Explicitly off: without a password policy Cognito demands every character class.
    for (const rule of CHARACTER_CLASSES)
      if (policy[rule] !== false) problems.push(`${name}: password policy ${rule} is not off`);
  }
  return problems;
}

const APP_CLIENT_FLOWS = ["ALLOW_REFRESH_TOKEN_AUTH", "ALLOW_USER_PASSWORD_AUTH"];

/** One app client per pool: exactly USER_PASSWORD_AUTH and refresh, no secret, no hint that an account exists. */
export function checkAppClient(resources: readonly SynthResource[], topology: Topology): Problems {
  const problems: Problems = [];
  const found = userPoolsOf(resources, topology);
  const known = new Set(found.flatMap((f) => f.clients));
  for (const client of ofType(resources, USER_POOL_CLIENT))
    if (!known.has(client)) problems.push(`${client.name}: a client of no declared user pool`);
  for (const { name, clients } of found) {
    if (clients.length !== 1) problems.push(`${name}: ${clients.length} app clients, expected 1`);
    for (const client of clients) {
      const flows = arr(client.inputs.explicitAuthFlows).map(String).sort();
      if (!isDeepStrictEqual(flows, APP_CLIENT_FLOWS))
        problems.push(`${client.name}: auth flows ${JSON.stringify(flows)}, expected exactly ${APP_CLIENT_FLOWS}`);
      // USER_PASSWORD_AUTH with a secret needs a SECRET_HASH the handlers do not send.
      if (client.inputs.generateSecret === true) problems.push(`${client.name}: has a secret`);
      if (client.inputs.preventUserExistenceErrors !== "ENABLED")
        problems.push(`${client.name}: tells whether an account exists (preventUserExistenceErrors is not ENABLED)`);
    }
  }
  return problems;
}

/** The path of each API Gateway resource (by its physical id), from its `pathPart`s up to the API's root. */
function apiPaths(resources: readonly SynthResource[]): Map<string, string> {
  const byId = new Map(
    ofType(resources, "aws:apigateway/resource:Resource").map((r) => [r.physicalId ?? "", r.inputs]),
  );
  const pathOf = (id: string, depth: number): string => {
    const r = byId.get(id);
    return r && depth < 32 ? `${pathOf(String(r.parentId), depth + 1)}/${r.pathPart}` : "";
  };
  return new Map([...byId.keys()].map((id) => [id, pathOf(id, 0)]));
}

/**
 * Every route is one method at its path on its own service's REST API, whose integration invokes the route's own
 * function (which lets API Gateway invoke it), authorized exactly as declared: `auth` routes by a Cognito authorizer
 * on the topology's user pool with the access-token scope, every other route by nothing at all.
 */
export function checkRoutes(resources: readonly SynthResource[], topology: Topology): Problems {
  const problems: Problems = [];
  const paths = apiPaths(resources);
  const methods = ofType(resources, "aws:apigateway/method:Method").filter((m) => m.inputs.httpMethod !== "OPTIONS");
  const integrations = ofType(resources, "aws:apigateway/integration:Integration");
  const authorizers = ofType(resources, "aws:apigateway/authorizer:Authorizer");
  const permissions = ofType(resources, LAMBDA_PERMISSION);
  const poolArns = userPoolsOf(resources, topology).flatMap((p) => (p.pool?.arn ? [p.pool.arn] : []));
  for (const route of topology.routes) {
    const id = `${route.method} ${route.fullPath}`;
    const api = ofType(resources, "aws:apigateway/restApi:RestApi").find((a) =>
      physical(a.inputs.name, `${pascal(route.service)}Api`, "Api"),
    );
    if (!api) {
      problems.push(`${id}: ${route.service} has no REST API`);
      continue;
    }
    const at = methods.filter(
      (m) =>
        m.inputs.restApi === api.physicalId &&
        m.inputs.httpMethod === route.method &&
        (paths.get(String(m.inputs.resourceId)) || "/") === route.path,
    );
    const method = at[0]?.inputs;
    if (at.length !== 1 || !method) {
      problems.push(`${id}: ${at.length} methods on ${route.service}'s API`);
      continue;
    }
    if (route.auth) {
      const authorizer = authorizers.find((a) => a.physicalId === method.authorizerId);
      const trusted = arr(authorizer?.inputs.providerArns).map(String);
      if (method.authorization !== "COGNITO_USER_POOLS" || authorizer?.inputs.type !== "COGNITO_USER_POOLS")
        problems.push(`${id}: no Cognito authorizer`);
      else if (authorizer.inputs.restApi !== api.physicalId) problems.push(`${id}: its authorizer is another API's`);
      else if (trusted.length === 0 || trusted.some((arn) => !poolArns.includes(arn)))
        problems.push(`${id}: its authorizer trusts ${JSON.stringify(trusted)}, not the user pool`);
      if (!isDeepStrictEqual(method.authorizationScopes, [ACCESS_SCOPE]))
        problems.push(`${id}: takes ID tokens (no ${ACCESS_SCOPE} scope)`);
    } else if (
      method.authorization !== "NONE" ||
      method.authorizerId !== undefined ||
      method.authorizationScopes !== undefined
    )
      problems.push(`${id}: is not open (authorization ${method.authorization})`);
    const integration = integrations.find(
      (i) =>
        i.inputs.restApi === api.physicalId &&
        i.inputs.resourceId === method.resourceId &&
        i.inputs.httpMethod === route.method,
    );
    if (integration?.inputs.type !== "AWS_PROXY" || !physical(integration.inputs.uri, route.function, "Function"))
      problems.push(`${id}: does not invoke ${route.function}`);
    const invokable = permissions.some(
      (p) =>
        p.inputs.principal === "apigateway.amazonaws.com" &&
        physical(p.inputs.function, route.function, "Function") &&
        String(p.inputs.sourceArn).includes(`:${api.physicalId}/`),
    );
    if (!invokable) problems.push(`${id}: API Gateway may not invoke ${route.function}`);
  }
  return problems;
}

/**
 * Every function of a pool's service, and no other, finds in `SST_RESOURCE_<pool>` the pool's id and its app client's
 * id (sign-up and sign-in call Cognito with both).
 */
export function checkUserPoolLinks(resources: readonly SynthResource[], topology: Topology): Problems {
  const problems: Problems = [];
  for (const { service, name, pool, clients } of userPoolsOf(resources, topology)) {
    for (const fn of topology.functions) {
      const value = obj(obj(lambdaOf(resources, fn.name)?.inputs.environment).variables)[`SST_RESOURCE_${name}`];
      if (fn.service !== service || !fn.links.includes(name)) {
        if (value !== undefined) problems.push(`${fn.name} (${fn.service}) is given ${name}, which it does not link`);
        continue;
      }
      const linked = json(value) as Inputs | undefined;
      if (!linked) {
        problems.push(`${fn.name}: SST_RESOURCE_${name} is not set`);
        continue;
      }
      if (!pool || linked.id !== pool.physicalId)
        problems.push(`${fn.name}: ${name} id ${linked.id} is not the pool's`);
      if (clients.length !== 1 || linked.clientId !== clients[0]!.physicalId)
        problems.push(`${fn.name}: ${name} clientId ${linked.clientId} is not the app client's`);
    }
  }
  return problems;
}

/**
 * Each delivery reaches its own consumer: a rule's one target and a topic subscription's endpoint are the consumer's
 * function (or its buffer queue), which EventBridge or SNS may invoke from that rule or topic; a stream's event
 * source reads that stream into that function.
 */
export function checkConsumerWiring(resources: readonly SynthResource[], topology: Topology): Problems {
  const problems: Problems = [];
  const permissions = ofType(resources, LAMBDA_PERMISSION);
  const invokable = (fn: string, principal: string, source: unknown) =>
    permissions.some(
      (p) =>
        p.inputs.principal === principal &&
        physical(p.inputs.function, fn, "Function") &&
        p.inputs.sourceArn === source,
    );
  for (const sub of topology.subscriptions) {
    const { delivery } = sub;
    const [target, suffix] = sub.buffer ? [sub.buffer, "Queue"] : [sub.function, "Function"];
    if (delivery.kind === "rule") {
      const rule = ofType(resources, RULE).find((r) => r.name.includes(sub.name));
      const targets = ofType(resources, "aws:cloudwatch/eventTarget:EventTarget").filter(
        (t) => rule && t.inputs.rule === rule.inputs.name && t.inputs.eventBusName === rule.inputs.eventBusName,
      );
      if (!rule || targets.length !== 1 || !physical(targets[0]!.inputs.arn, target, suffix))
        problems.push(`${sub.name}: its rule does not target ${target} alone`);
      else if (!sub.buffer && !invokable(sub.function, "events.amazonaws.com", rule.arn))
        problems.push(`${sub.name}: EventBridge may not invoke ${sub.function}`);
    }
    if (delivery.kind === "topic") {
      const subscription = ofType(resources, TOPIC_SUBSCRIPTION).find((s) => s.name.includes(sub.name));
      const i = subscription?.inputs ?? {};
      if (!physical(i.endpoint, target, suffix) || i.protocol !== (sub.buffer ? "sqs" : "lambda"))
        problems.push(`${sub.name}: its topic subscription does not deliver to ${target}`);
      else if (!sub.buffer && !invokable(sub.function, "sns.amazonaws.com", i.topic))
        problems.push(`${sub.name}: SNS may not invoke ${sub.function}`);
    }
    if (delivery.kind === "stream") {
      const mapping = ofType(resources, ESM).find((m) => m.name.includes(sub.name));
      if (
        !physical(mapping?.inputs.eventSourceArn, delivery.stream, "Stream") ||
        !physical(mapping?.inputs.functionName, sub.function, "Function")
      )
        problems.push(`${sub.name}: no event source from ${delivery.stream} into ${sub.function}`);
    }
  }
  return problems;
}

/** Does an IAM `Resource` (maybe with `*` and `?`) cover this ARN or something under it? */
function covers(pattern: string, arn: string): boolean {
  const glob = new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, "\\$&")
      .replaceAll("*", ".*")
      .replaceAll("?", ".")}$`,
  );
  return glob.test(arn) || pattern.startsWith(`${arn}/`);
}

/** The IAM action prefix of each kind of declared resource: a new kind says whose data it holds. */
const DATA_ACTIONS: Record<ResourceKind, string> = { userPool: "cognito-idp", bucket: "s3" };

const policyOf = (value: unknown): Inputs => (typeof value === "string" ? obj(JSON.parse(value)) : obj(value));

/**
 * Least privilege seen from the data: a service's tables and declared resources are reachable by that service's
 * functions and by no other role or policy in the stage (a statement on `*`, or on a wildcard ARN, counts when its
 * actions are the data's AWS service).
 */
export function checkOwnership(resources: readonly SynthResource[], topology: Topology): Problems {
  const problems: Problems = [];
  const owned: { name: string; service: string; action: string }[] = [
    ...topology.tables.map((t) => ({ name: t.name, service: t.service, action: "dynamodb" })),
    ...topology.resources.map((r) => ({ name: r.name, service: r.service, action: DATA_ACTIONS[r.kind] })),
  ];
  const data = owned.flatMap((o) => {
    const arn = linkArn(resources, o.name);
    if (!arn) problems.push(`${o.name} (${o.service}): no resource`);
    return arn ? [{ ...o, arn }] : [];
  });
  const holders = [
    ...ofType(resources, "aws:iam/role:Role").flatMap((r) =>
      arr(r.inputs.inlinePolicies).map((p) => ({ holder: r.name, policy: obj(p).policy })),
    ),
    ...ofType(resources, "aws:iam/rolePolicy:RolePolicy").map((p) => ({
      holder: String(p.inputs.role),
      policy: p.inputs.policy,
    })),
    ...ofType(resources, "aws:iam/policy:Policy").map((p) => ({ holder: p.name, policy: p.inputs.policy })),
  ];
  for (const { holder, policy } of holders) {
    const fn = topology.functions.find((f) => holder === `${f.name}Role` || physical(holder, f.name, "Role"));
    for (const statement of arr(policyOf(policy).Statement).map(obj)) {
      if (statement.Effect === "Deny") continue;
      const actions = ([] as unknown[]).concat(statement.Action ?? []).map(String);
      const patterns = ([] as unknown[]).concat(statement.Resource ?? []).map(String);
      for (const d of data) {
        const acts = actions.some((a) => a === "*" || a.startsWith(`${d.action}:`));
        if (acts && patterns.some((p) => covers(p, d.arn)) && fn?.service !== d.service)
          problems.push(
            `${holder} (${fn ? `${fn.service}` : "no function"}) may reach ${d.name}, which is ${d.service}'s`,
          );
      }
    }
  }
  return problems;
}

/** Only Lambda may assume a function's execution role: no account root, no other principal. */
export function checkRoleTrust(resources: readonly SynthResource[], topology: Topology): Problems {
  const problems: Problems = [];
  for (const fn of topology.functions) {
    const role = named(resources, "aws:iam/role:Role", `${fn.name}Role`);
    if (!role) {
      problems.push(`${fn.name}: no role`);
      continue;
    }
    const trusted = arr(policyOf(role.inputs.assumeRolePolicy).Statement)
      .map(obj)
      .filter((s) => s.Effect !== "Deny")
      .flatMap((s) =>
        typeof s.Principal === "string"
          ? [s.Principal]
          : Object.entries(obj(s.Principal)).flatMap(([kind, ids]) =>
              ([] as unknown[]).concat(ids).map((id) => `${kind}:${id}`),
            ),
      );
    if (!isDeepStrictEqual(trusted, ["Service:lambda.amazonaws.com"]))
      problems.push(`${fn.name}: its role trusts ${JSON.stringify(trusted)}`);
  }
  return problems;
}

const DISTRIBUTION = "aws:cloudfront/distribution:Distribution";
const CACHE_POLICY = "aws:cloudfront/cachePolicy:CachePolicy";
/** CloudFront's managed policies (ids from "Use managed cache/origin request policies"). */
const MANAGED_CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad";
const MANAGED_ALL_VIEWER_EXCEPT_HOST = "b689b0a8-53d0-40ab-baf2-68738e2966ac";
const ALL_METHODS = ["DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT"];
/** The codes CloudFront takes an error caching TTL for; its default for each is 10 s. */
const ERROR_CODES = [400, 403, 404, 405, 414, 416, 500, 501, 502, 503, 504];

/**
 * The CDN in front of the API, when some route declares `cache`: one distribution whose origin is the stage's API
 * domain over HTTPS only; every path a cached route serves behind a cache policy that takes its TTLs from the origin
 * (min and default 0) with a key of the path and query strings only (no header, so no `Authorization`; no cookie);
 * every path a GET that needs a token serves behind no caching at all (CloudFront collapses concurrent requests
 * for one key even when the answer is private); `Authorization` forwarded by an all-viewer-headers policy that
 * leaves `Host` to the origin; all methods, HTTPS for viewers, errors cached 0 s. Without cached routes, no CDN.
 */
export function checkCdn(resources: readonly SynthResource[], topology: Topology): Problems {
  const problems: Problems = [];
  const apiDomain = ofType(resources, "aws:apigateway/domainName:DomainName").find((d) => !d.id)?.inputs.domainName;
  const distributions = ofType(resources, DISTRIBUTION).filter((d) =>
    arr(d.inputs.origins).some((o) => obj(o).domainName === apiDomain),
  );
  const cached = topology.routes.filter((r) => r.definition?.cache);
  if (cached.length === 0) {
    if (distributions.length > 0) problems.push(`a CDN in front of ${apiDomain}, but no route declares cache`);
    return problems;
  }
  if (distributions.length !== 1) return [`${distributions.length} distributions in front of ${apiDomain}`];
  const inputs = distributions[0]!.inputs;
  const origins = arr(inputs.origins).map(obj);
  const origin = origins.find((o) => o.domainName === apiDomain)!;
  if (origins.length !== 1) problems.push(`${origins.length} origins; the API domain is the only one`);
  if (obj(origin.customOriginConfig).originProtocolPolicy !== "https-only")
    problems.push(`the origin is reached by ${obj(origin.customOriginConfig).originProtocolPolicy}, not HTTPS only`);

  const defaultBehaviour = obj(inputs.defaultCacheBehavior);
  const ordered = arr(inputs.orderedCacheBehaviors).map(obj);
  const behaviours = [...ordered, defaultBehaviour];
  // CloudFront takes the first ordered behaviour whose pattern matches, else the default.
  const behaviourFor = (fullPath: string) => {
    const path = fullPath.replace(/\{[^}]+\}/g, "x");
    return ordered.find((b) => wildcardMatch(String(b.pathPattern), path)) ?? defaultBehaviour;
  };
  const policyOf = (b: Inputs) =>
    ofType(resources, CACHE_POLICY).find((p) => p.physicalId === b.cachePolicyId || p.id === b.cachePolicyId);
  for (const b of behaviours) {
    const where = b.pathPattern ? `behaviour ${b.pathPattern}` : "the default behaviour";
    const methods = arr(b.allowedMethods).map(String).sort();
    if (!isDeepStrictEqual(methods, ALL_METHODS)) problems.push(`${where} allows ${JSON.stringify(methods)}`);
    if (b.viewerProtocolPolicy !== "redirect-to-https" && b.viewerProtocolPolicy !== "https-only")
      problems.push(`${where} lets viewers use ${b.viewerProtocolPolicy}`);
    if (b.originRequestPolicyId !== MANAGED_ALL_VIEWER_EXCEPT_HOST)
      problems.push(`${where} does not forward Authorization (all viewer headers but Host)`);
    if (b.targetOriginId !== origin.originId) problems.push(`${where} targets ${b.targetOriginId}`);
  }

  for (const route of cached) {
    const b = behaviourFor(route.fullPath);
    const policy = policyOf(b);
    const what = `GET ${route.fullPath}`;
    if (!policy) {
      problems.push(`${what}: not cached (cache policy ${b.cachePolicyId})`);
      continue;
    }
    const p = policy.inputs;
    if (p.minTtl !== 0) problems.push(`${what}: minimum TTL ${p.minTtl}, not 0 (the origin's private/no-store rule)`);
    if (p.defaultTtl !== 0) problems.push(`${what}: default TTL ${p.defaultTtl}: answers without caching headers kept`);
    if (!(Number(p.maxTtl) > 0)) problems.push(`${what}: maximum TTL ${p.maxTtl}: s-maxage is never honoured`);
    const key = obj(p.parametersInCacheKeyAndForwardedToOrigin);
    const headers = obj(key.headersConfig);
    const keyed = arr(obj(headers.headers).items).map((h) => String(h).toLowerCase());
    if (headers.headerBehavior !== "none" || keyed.length > 0)
      problems.push(`${what}: headers in the cache key (${headers.headerBehavior} ${JSON.stringify(keyed)})`);
    if (obj(key.cookiesConfig).cookieBehavior !== "none") problems.push(`${what}: cookies in the cache key`);
    if (obj(key.queryStringsConfig).queryStringBehavior !== "all")
      problems.push(`${what}: not every query string in the cache key`);
  }
  for (const route of topology.routes.filter((r) => r.auth && r.method === "GET")) {
    const b = behaviourFor(route.fullPath);
    if (b.cachePolicyId !== MANAGED_CACHING_DISABLED)
      problems.push(`GET ${route.fullPath} needs a token but is behind cache policy ${b.cachePolicyId}`);
  }

  const errorTtls = new Map(arr(inputs.customErrorResponses).map((e) => [obj(e).errorCode, obj(e).errorCachingMinTtl]));
  for (const code of ERROR_CODES)
    if (errorTtls.get(code) !== 0)
      problems.push(`${code} answers are cached for ${errorTtls.get(code) ?? "10 (default)"} s`);
  return problems;
}

/**
 * The regions: in a single-region stage no table replicates and no DNS record is latency-based. In a multi-region
 * stage the home region declares every table as a global table, under its fixed name, streaming both images, with a
 * replica in each other region; a secondary region creates no table and reads the home region's by that name; and in
 * every region the stage domain's alias records (A, AAAA) are latency-based for that region, one set per region.
 */
export function checkRegions(
  resources: readonly SynthResource[],
  topology: Topology,
  domain: string,
  region: string | undefined = homeRegion(topology),
): Problems {
  const problems: Problems = [];
  const multi = isMultiRegion(topology);
  const secondary = multi && region !== homeRegion(topology);
  const expected = [...replicaRegions(topology, region ?? "")].sort();
  for (const table of topology.tables) {
    const found = named(resources, "aws:dynamodb/table:Table", `${table.name}Table`);
    if (!found) {
      problems.push(`table ${table.name}: not in the stage`);
      continue;
    }
    if (secondary) {
      if (!found.id)
        problems.push(`table ${table.name}: created in ${region}, which should use the home region's replica`);
      else if (!found.id.endsWith(`-${table.name}`))
        problems.push(`table ${table.name}: reads ${found.id}, not its global name`);
      continue;
    }
    const replicas = arr(found.inputs.replicas)
      .map((r) => String(obj(r).regionName))
      .sort();
    if (!isDeepStrictEqual(replicas, expected))
      problems.push(`table ${table.name}: replicas ${JSON.stringify(replicas)}, expected ${JSON.stringify(expected)}`);
    if (expected.length > 0 && found.inputs.streamViewType !== "NEW_AND_OLD_IMAGES")
      problems.push(
        `table ${table.name}: a global table streams NEW_AND_OLD_IMAGES, not ${String(found.inputs.streamViewType)}`,
      );
    if (expected.length > 0 && !String(found.inputs.name ?? "").endsWith(`-${table.name}`))
      problems.push(`table ${table.name}: no fixed name the other regions can find it by`);
  }
  const records = ofType(resources, "aws:route53/record:Record");
  const aliases = records.filter(
    (r) => String(r.inputs.name).replace(/\.$/, "") === domain && arr(r.inputs.aliases).length > 0,
  );
  if (aliases.length === 0) problems.push(`no alias record for ${domain}`);
  for (const record of aliases) {
    const policies = arr(record.inputs.latencyRoutingPolicies).map((p) => obj(p).region);
    const what = `${String(record.inputs.type)} ${domain}`;
    if (!multi) {
      if (policies.length > 0 || record.inputs.setIdentifier !== undefined)
        problems.push(`${what}: latency-based in a single-region stage`);
    } else if (!isDeepStrictEqual(policies, [region]) || record.inputs.setIdentifier !== region)
      problems.push(
        `${what}: not latency-based for ${region} (${JSON.stringify(policies)}, ${String(record.inputs.setIdentifier)})`,
      );
  }
  if (!multi)
    for (const record of records)
      if (arr(record.inputs.latencyRoutingPolicies).length > 0)
        problems.push(`${String(record.inputs.name)}: latency-based in a single-region stage`);
  return problems;
}

/**
 * Every check above on one synthesized stage, each problem prefixed with the check that found it: what a new check
 * adds is applied to every stage a test hands in.
 */
export function checkStage(result: SynthResult, topology: Topology, domain: string): Problems {
  const { resources } = result;
  const checks: Record<string, () => Problems> = {
    tracing: () => checkTracing(resources, topology),
    domain: () => checkDomain(resources, topology, domain),
    deliveries: () => checkDeliveries(resources, topology),
    failures: () => checkFailureHandling(resources, topology),
    batches: () => checkBatchResponses(resources, topology),
    outboxes: () => checkOutboxes(resources, topology),
    indexes: () => checkIndexes(resources, topology),
    nativePackages: () => checkNativePackages(result, topology),
    bundling: () => checkBundling(result, topology),
    buckets: () => checkBuckets(resources, topology),
    streams: () => checkStreams(resources, topology, result.app.stage),
    leastPrivilege: () => checkLeastPrivilege(resources, topology),
    handlers: () => checkHandlers(result, topology),
    environment: () => checkEnvironment(resources, topology),
    auth: () => checkAuth(resources, topology),
    monitoring: () => checkMonitoring(resources, topology, result.app.stage),
    dashboards: () => checkDashboards(resources, topology, result.app.stage),
    sampling: () => checkSampling(resources, topology, result.app.stage),
    retention: () => checkRetention(result),
    userPool: () => checkUserPool(resources, topology),
    appClient: () => checkAppClient(resources, topology),
    routes: () => checkRoutes(resources, topology),
    userPoolLinks: () => checkUserPoolLinks(resources, topology),
    consumerWiring: () => checkConsumerWiring(resources, topology),
    ownership: () => checkOwnership(resources, topology),
    roleTrust: () => checkRoleTrust(resources, topology),
    cdn: () => checkCdn(resources, topology),
    encryption: () => checkEncryption(resources, topology),
    apiProtection: () => checkApiProtection(resources, topology, result.app.stage),
    regions: () => checkRegions(resources, topology, domain),
  };
  return Object.entries(checks).flatMap(([name, check]) => check().map((problem) => `${name}: ${problem}`));
}

const tlsOnly = (policy: unknown): boolean =>
  arr(obj(json(policy)).Statement).some((s) => {
    const statement = obj(s);
    const secure = obj(obj(statement.Condition).Bool)["aws:SecureTransport"];
    return statement.Effect === "Deny" && String(secure) === "false";
  });

/**
 * Encryption at rest on every table, queue, topic, stream and bucket of the stage, and HTTPS only on every bucket
 * (a policy denying `aws:SecureTransport = false`). Tables on a KMS key; queues SSE-SQS or KMS; topics and streams KMS.
 */
export function checkEncryption(resources: readonly SynthResource[], topology: Topology): Problems {
  const problems: Problems = [];
  for (const table of ofType(resources, "aws:dynamodb/table:Table"))
    if (obj(table.inputs.serverSideEncryption).enabled !== true) problems.push(`table ${table.name}: not on a KMS key`);
  for (const queue of ofType(resources, "aws:sqs/queue:Queue"))
    if (queue.inputs.sqsManagedSseEnabled !== true && !queue.inputs.kmsMasterKeyId)
      problems.push(`queue ${queue.name}: not encrypted at rest`);
  for (const topic of ofType(resources, "aws:sns/topic:Topic"))
    if (!topic.inputs.kmsMasterKeyId) problems.push(`topic ${topic.name}: not encrypted at rest`);
  for (const stream of ofType(resources, "aws:kinesis/stream:Stream"))
    if (stream.inputs.encryptionType !== "KMS" || !stream.inputs.kmsKeyId)
      problems.push(`stream ${stream.name}: not encrypted at rest`);
  const counts = {
    tables: [topology.tables.length, ofType(resources, "aws:dynamodb/table:Table").length],
    streams: [topology.streams.length, ofType(resources, "aws:kinesis/stream:Stream").length],
  };
  for (const [kind, [expected, found]] of Object.entries(counts))
    if (found !== expected) problems.push(`${found} ${kind} for the topology's ${expected}`);
  const policies = ofType(resources, "aws:s3/bucketPolicy:BucketPolicy");
  const encryptions = ofType(
    resources,
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
  );
  for (const node of resourcesOfKind(topology.resources, "bucket")) {
    if (!policies.some((p) => p.name.startsWith(node.name) && tlsOnly(p.inputs.policy)))
      problems.push(`bucket ${node.name}: plain HTTP is not denied`);
    if (!encryptions.some((e) => e.name.startsWith(node.name))) problems.push(`bucket ${node.name}: not encrypted`);
  }
  return problems;
}

/** The account's default regional API Gateway limit, shared by every API: no one API's rate may exceed it. */
const ACCOUNT_API_RATE = 10_000;
/** A developer's or CI's stage serves tests, not users: its rate stays this low. */
const NON_PRODUCTION_API_RATE = 100;
const REQUIRED_RULE_GROUPS = [
  "AWSManagedRulesCommonRuleSet",
  "AWSManagedRulesKnownBadInputsRuleSet",
  "AWSManagedRulesAmazonIpReputationList",
];

/**
 * Every API stage is throttled on all its methods (`*` / `*`, a bounded rate: the account's limit in production,
 * a small one elsewhere) and sits behind a regional web ACL that blocks by default nothing, runs AWS's managed rule
 * groups (common, known bad inputs, IP reputation) and blocks a client IP over a rate.
 */
export function checkApiProtection(resources: readonly SynthResource[], topology: Topology, stage: string): Problems {
  const problems: Problems = [];
  const stages = ofType(resources, "aws:apigateway/stage:Stage");
  const settings = ofType(resources, "aws:apigateway/methodSettings:MethodSettings");
  const associations = ofType(resources, "aws:wafv2/webAclAssociation:WebAclAssociation");
  const acls = ofType(resources, "aws:wafv2/webAcl:WebAcl");
  const limit = stage === "production" ? ACCOUNT_API_RATE : NON_PRODUCTION_API_RATE;
  if (stages.length !== servicesWithRoutes(topology).length)
    problems.push(`${stages.length} API stages for ${servicesWithRoutes(topology).length} services with routes`);
  for (const apiStage of stages) {
    const api = apiStage.name.replace(/Stage$/, "");
    const throttle = settings.find((s) => s.name === `${api}Throttle`);
    const rate = Number(obj(throttle?.inputs.settings).throttlingRateLimit);
    const burst = Number(obj(throttle?.inputs.settings).throttlingBurstLimit);
    if (throttle?.inputs.methodPath !== "*/*") problems.push(`${api}: not throttled on every method`);
    else if (!(rate > 0 && rate <= limit && burst >= rate))
      problems.push(`${api}: throttled at ${rate}/s (burst ${burst}), expected at most ${limit}/s on ${stage}`);
    if (!associations.some((a) => a.name === `${api}Firewall`)) problems.push(`${api}: no web ACL in front of it`);
  }
  if (stages.length > 0 && acls.length !== 1) problems.push(`${acls.length} web ACLs for the stage's APIs`);
  for (const acl of acls) {
    if (acl.inputs.scope !== "REGIONAL") problems.push(`${acl.name}: not a regional web ACL`);
    const rules = arr(acl.inputs.rules).map(obj);
    const groups = rules.map((r) => obj(obj(r.statement).managedRuleGroupStatement));
    for (const group of REQUIRED_RULE_GROUPS)
      if (!groups.some((g) => g.vendorName === "AWS" && g.name === group)) problems.push(`${acl.name}: no ${group}`);
    const rate = rules.find((r) => obj(r.statement).rateBasedStatement !== undefined);
    if (!rate || obj(rate.action).block === undefined) problems.push(`${acl.name}: no rate rule that blocks`);
    if (rules.some((r) => obj(r.overrideAction).count !== undefined))
      problems.push(`${acl.name}: a managed rule group only counts`);
  }
  return problems;
}
