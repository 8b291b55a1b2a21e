import { pascal, type Topology } from "../shared/topology/index.js";
import type { Apis } from "./api.js";

/**
 * X-Ray everywhere, as a policy rather than a per-resource setting: no SST component has a tracing prop, so the
 * underlying Pulumi resources are transformed as they are created. Must run before any resource is declared.
 */
export function applyTracing(): void {
  // Lambda active tracing: the function samples and sends its segment; the role must be allowed to write it.
  $transform(aws.lambda.Function, (args) => {
    args.tracingConfig = { mode: "Active" };
  });
  // REST API stages: API Gateway starts the trace and passes the header on to the integration.
  $transform(aws.apigateway.Stage, (args) => {
    args.xrayTracingEnabled = true;
  });
  // SNS active tracing keeps the trace across the topic hop to its subscribers.
  $transform(aws.sns.Topic, (args) => {
    if (args) args.tracingConfig = "Active";
  });
  // Active tracing needs xray:PutTraceSegments/PutTelemetryRecords on the execution role (AWS managed policy).
  const partition = aws.getPartitionOutput().partition;
  const xrayWrite = $interpolate`arn:${partition}:iam::aws:policy/AWSXRayDaemonWriteAccess`;
  $transform(sst.aws.Function, (args) => {
    const policies: $util.Input<string[]> = args.policies ?? [];
    args.policies = $resolve([$output(policies), xrayWrite]).apply(([own, arn]) => [
      ...(own as string[]),
      arn as string,
    ]);
  });
}

/**
 * Production's read sampling: the first request each second of each service (the reservoir), then this share of the
 * rest. At the seed's 100 billion reads a month that records about 110 million read traces, against 100 billion if
 * every read were traced (`docs/sampling.md` has the arithmetic and the prices).
 */
export const READ_SAMPLE_RATE = 0.001;
/** Traces a second each service's read rule records before its fixed rate applies. */
export const READ_RESERVOIR_PER_SECOND = 1;

/** One X-Ray sampling rule of a stage, before it is a resource. */
export interface SamplingRuleSpec {
  readonly service: string;
  /** `ruleName`: at most 32 characters, unique in the account and region (sampling rules are not per stage). */
  readonly ruleName: string;
  /** `GET`, a write method, or `*` (everything, on stages other than production). */
  readonly httpMethod: string;
  readonly fixedRate: number;
  readonly reservoirSize: number;
  /** Lower is matched first; rules of different stages never overlap (each names its own APIs). */
  readonly priority: number;
}

const RULE_NAME_LIMIT = 32;
const WRITE_PRIORITY = 100;
const READ_PRIORITY = 200;

/** A rule name within X-Ray's 32 characters: the stage shortened, with a hash of it, when the whole is too long. */
export function samplingRuleName(stage: string, service: string, kind: string): string {
  const whole = `${stage}-${service}-${kind}`;
  if (whole.length <= RULE_NAME_LIMIT) return whole;
  let hash = 0;
  for (const char of stage) hash = (hash * 31 + char.charCodeAt(0)) >>> 0;
  const tag = hash.toString(36).slice(0, 4);
  const rest = `-${service}-${kind}`.slice(0, RULE_NAME_LIMIT - tag.length - 2);
  return `${stage.slice(0, RULE_NAME_LIMIT - tag.length - 1 - rest.length)}${tag}${rest}`.slice(0, RULE_NAME_LIMIT);
}

/**
 * The sampling rules of a stage, from the topology. API Gateway makes the sampling decision at the start of each
 * request and every function, publish and consumer downstream follows it (the `Sampled` flag of the trace header),
 * so the rules match the services' REST APIs by method:
 *
 * - production: every write traced (a rule per write method the service's routes use, at 100 %), reads at
 *   {@link READ_SAMPLE_RATE} after a reservoir of {@link READ_RESERVOIR_PER_SECOND} a second;
 * - any other stage: one rule per service tracing everything, so a developer's stage shows every request.
 *
 * @example
 * ```ts
 * samplingPlan(topology, "production").find((r) => r.httpMethod === "GET")?.fixedRate; // 0.001
 * ```
 */
export function samplingPlan(topology: Topology, stage: string): SamplingRuleSpec[] {
  const rules: SamplingRuleSpec[] = [];
  for (const service of topology.services) {
    const methods = [...new Set(topology.routes.filter((r) => r.service === service.name).map((r) => r.method))];
    if (methods.length === 0) continue;
    const rule = (kind: string, spec: Omit<SamplingRuleSpec, "service" | "ruleName">) =>
      rules.push({ service: service.name, ruleName: samplingRuleName(stage, service.name, kind), ...spec });
    if (stage !== "production") {
      rule("all", { httpMethod: "*", fixedRate: 1, reservoirSize: 1, priority: WRITE_PRIORITY });
      continue;
    }
    for (const method of methods.filter((m) => m !== "GET").sort())
      rule(method.toLowerCase(), { httpMethod: method, fixedRate: 1, reservoirSize: 1, priority: WRITE_PRIORITY });
    if (methods.includes("GET"))
      rule("reads", {
        httpMethod: "GET",
        fixedRate: READ_SAMPLE_RATE,
        reservoirSize: READ_RESERVOIR_PER_SECOND,
        priority: READ_PRIORITY,
      });
  }
  return rules;
}

/**
 * The stage's X-Ray sampling rules ({@link samplingPlan}), each matching one service's REST API: X-Ray names an API
 * Gateway stage's segment `<api name>/<stage>`, so `serviceName` is the API's physical name and any stage of it.
 */
export function createSamplingRules(
  topology: Topology,
  apis: Apis,
  stage: string,
): Record<string, aws.xray.SamplingRule> {
  const rules: Record<string, aws.xray.SamplingRule> = {};
  for (const spec of samplingPlan(topology, stage)) {
    const api = apis[spec.service];
    if (!api) continue;
    const component = `${pascal(spec.service)}${pascal(spec.ruleName.slice(spec.ruleName.lastIndexOf("-") + 1))}Sampling`;
    rules[spec.ruleName] = new aws.xray.SamplingRule(component, {
      ruleName: spec.ruleName,
      priority: spec.priority,
      fixedRate: spec.fixedRate,
      reservoirSize: spec.reservoirSize,
      serviceName: $interpolate`${api.nodes.api.name}/*`,
      serviceType: "AWS::ApiGateway::Stage",
      httpMethod: spec.httpMethod,
      urlPath: "*",
      host: "*",
      resourceArn: "*",
      version: 1,
    });
  }
  return rules;
}
