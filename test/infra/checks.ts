/**
 * What the synthesized stacks must be, as functions of the resources and the topology. Each returns the problems it
 * finds (empty: fine), so a negative test can hand it broken input and watch it complain.
 */
import { isDeepStrictEqual } from "node:util";
import { filterPolicy, rulePattern, streamFilter, type Topology } from "../../shared/topology/index.js";
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

const ESM = "aws:lambda/eventSourceMapping:EventSourceMapping";
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

/** SQS and Kinesis event sources report partial batch failures; SQS ones honour the consumer's concurrency. */
export function checkBatchResponses(resources: readonly SynthResource[], topology: Topology): Problems {
  const problems: Problems = [];
  const mappings = ofType(resources, ESM);
  const expected = topology.subscriptions.filter((s) => s.trigger.kind === "sqs" || s.trigger.kind === "kinesis");
  if (mappings.length !== expected.length)
    problems.push(`${mappings.length} event sources for ${expected.length} consumers`);
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

/** Every function's handler was bundled from its `<file>.<export>` and is the handler the Lambda runs. */
export function checkHandlers(
  result: Pick<SynthResult, "resources" | "builds" | "errors">,
  topology: Topology,
): Problems {
  const problems: Problems = result.errors.filter((e) =>
    /export named|Could not find the handler|Could not resolve/.test(e),
  );
  for (const fn of topology.functions) {
    if (result.builds[fn.name] !== fn.handler) problems.push(`${fn.name}: ${fn.handler} was not bundled`);
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
  const dashboards = ofType(resources, "aws:cloudwatch/dashboard:Dashboard").map((d) => d.inputs.dashboardName);
  for (const service of topology.services)
    if (!dashboards.includes(`summit-${stage}-${service.name}`)) problems.push(`${service.name}: no dashboard`);
  return problems;
}

/** Production keeps its data (retain, deletion protection) and refuses `sst remove`; other stages clean up. */
export function checkRetention(result: Pick<SynthResult, "app" | "resources" | "retained" | "outputs">): Problems {
  const problems: Problems = [];
  const production = result.app.stage === "production";
  if (result.app.removal !== (production ? "retain" : "remove")) problems.push(`removal is ${result.app.removal}`);
  if (result.app.protect !== production || result.outputs._protect !== production)
    problems.push(`protect is ${result.app.protect}`);
  for (const type of ["aws:dynamodb/table:Table", "aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2"])
    for (const r of ofType(result.resources, type)) {
      if (result.retained.includes(`${type} ${r.name}`) !== production)
        problems.push(`${r.name} is ${production ? "not " : ""}retained on delete`);
    }
  for (const table of ofType(result.resources, "aws:dynamodb/table:Table"))
    if (Boolean(table.inputs.deletionProtectionEnabled) !== production)
      problems.push(`${table.name}: deletion protection is ${Boolean(table.inputs.deletionProtectionEnabled)}`);
  return problems;
}
