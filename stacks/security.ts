import type { Apis } from "./api.js";

/**
 * Seed 004's security checklist, as far as the stacks carry it (CloudTrail and GuardDuty are the account's, named in
 * the README as prerequisites): encryption at rest for every table, queue, topic, stream and bucket; HTTPS only;
 * least privilege per function (`stacks/links.ts`, checked by `checkLeastPrivilege`); per-stage API throttling; a
 * WAF web ACL with AWS managed rules and a per-IP rate rule in front of every API.
 */

/** The AWS managed keys: no key policy to keep, and every principal of the account that may use the service may use it. */
export const MANAGED_KEYS = { sns: "alias/aws/sns", kinesis: "alias/aws/kinesis" } as const;

/**
 * Encryption at rest as a policy rather than a per-resource setting, like tracing: the Pulumi resources are
 * transformed as they are created. Must run before any resource is declared.
 * - DynamoDB: a KMS key (the AWS managed `aws/dynamodb`), so key use is in CloudTrail; not the default AWS owned key.
 * - SQS: SSE-SQS. An AWS managed KMS key (`aws/sqs`) cannot be used here: its key policy cannot be changed, so
 *   SNS, EventBridge and S3 could not send to the queue.
 * - SNS and Kinesis: their AWS managed KMS keys, which their publishers and Lambda's pollers use without a grant.
 * - S3: SSE-S3 with a bucket key, set where the bucket is built (`stacks/resources/bucket.ts`), with SST's
 *   `enforceHttps` deny of plain HTTP.
 */
export function applyEncryption(): void {
  $transform(aws.dynamodb.Table, (args) => {
    if (args) args.serverSideEncryption = { enabled: true };
  });
  $transform(aws.sqs.Queue, (args) => {
    if (args) args.sqsManagedSseEnabled = true;
  });
  $transform(aws.sns.Topic, (args) => {
    if (args) args.kmsMasterKeyId = MANAGED_KEYS.sns;
  });
  $transform(aws.kinesis.Stream, (args) => {
    if (!args) return;
    args.encryptionType = "KMS";
    args.kmsKeyId = MANAGED_KEYS.kinesis;
  });
}

/**
 * Requests per second each API's stage takes before API Gateway answers 429 (token bucket: `rate` refills, `burst`
 * is the bucket). In production most of seed 003's reads are answered by the CDN and never reach an API; what does
 * (misses, authorized reads, every write) stays under 5,000 a second per API at peak. Four APIs at that rate exceed
 * the account's default regional limit of 10,000 requests/s, which they share: production needs that quota raised
 * before it grows into it (the capacity plan names the stage). Any other stage is a developer's or CI's and gets a
 * rate that protects the account's bill, not one that serves users.
 */
export const API_THROTTLE = {
  production: { rateLimit: 5_000, burstLimit: 10_000 },
  other: { rateLimit: 50, burstLimit: 100 },
} as const;

export const throttleFor = (stage: string) => (stage === "production" ? API_THROTTLE.production : API_THROTTLE.other);

/** AWS managed rule groups on every API: OWASP-style common rules, known bad inputs, and Amazon's IP reputation list. */
export const MANAGED_RULE_GROUPS = [
  "AWSManagedRulesCommonRuleSet",
  "AWSManagedRulesKnownBadInputsRuleSet",
  "AWSManagedRulesAmazonIpReputationList",
] as const;

/**
 * The common rule set blocks bodies over 8 KB; the contract takes up to 64 KiB and answers 413 itself above that,
 * so that rule only counts.
 */
export const COUNTED_RULES: Readonly<Record<string, readonly string[]>> = {
  AWSManagedRulesCommonRuleSet: ["SizeRestrictions_BODY"],
};

/** Requests one client IP may make in any 5-minute window before WAF blocks it (a scraper, not a user). */
export const WAF_RATE_LIMIT_PER_5_MINUTES = 3_000;

const visibility = (metricName: string) => ({
  cloudwatchMetricsEnabled: true,
  sampledRequestsEnabled: true,
  metricName,
});

export interface ApiProtection {
  readonly webAcl: aws.wafv2.WebAcl;
}

/**
 * Throttling on every API's stage (all methods) and one regional web ACL associated with each stage. Called after
 * the APIs are deployed (their stages exist then).
 *
 * @example
 * ```ts
 * const apis = createApis(topology, functions, resources, domain);
 * protectApis(apis, $app.stage);
 * ```
 */
export function protectApis(apis: Apis, stage: string): ApiProtection | undefined {
  const entries = Object.entries(apis);
  if (entries.length === 0) return undefined;
  const managed = MANAGED_RULE_GROUPS.map((group, i) => ({
    name: group,
    priority: i + 1,
    overrideAction: { none: {} },
    statement: {
      managedRuleGroupStatement: {
        vendorName: "AWS",
        name: group,
        ...(COUNTED_RULES[group]
          ? { ruleActionOverrides: COUNTED_RULES[group].map((name) => ({ name, actionToUse: { count: {} } })) }
          : {}),
      },
    },
    visibilityConfig: visibility(group),
  }));
  const webAcl = new aws.wafv2.WebAcl("ApiFirewall", {
    scope: "REGIONAL",
    defaultAction: { allow: {} },
    rules: [
      {
        name: "RatePerIp",
        priority: 0,
        action: { block: {} },
        statement: { rateBasedStatement: { limit: WAF_RATE_LIMIT_PER_5_MINUTES, aggregateKeyType: "IP" } },
        visibilityConfig: visibility("RatePerIp"),
      },
      ...managed,
    ],
    visibilityConfig: visibility("ApiFirewall"),
  });
  const { rateLimit, burstLimit } = throttleFor(stage);
  for (const [service, api] of entries) {
    const { api: restApi, stage: apiStage } = api.nodes;
    if (!apiStage) throw new Error(`the ${service} API is not deployed: its stage cannot be protected`);
    const name = `${service[0]!.toUpperCase()}${service.slice(1)}Api`;
    new aws.apigateway.MethodSettings(`${name}Throttle`, {
      restApi: restApi.id,
      stageName: apiStage.stageName,
      methodPath: "*/*",
      settings: { throttlingRateLimit: rateLimit, throttlingBurstLimit: burstLimit, metricsEnabled: true },
    });
    new aws.wafv2.WebAclAssociation(`${name}Firewall`, { resourceArn: apiStage.arn, webAclArn: webAcl.arn });
  }
  return { webAcl };
}
