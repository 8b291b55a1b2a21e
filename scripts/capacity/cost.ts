import type { StagePlan } from "./plan.js";
import { type PriceName, type PriceTable, tieredCost } from "./prices.js";

/** The AWS services a stage is billed for, in the order the tables print them. */
export const BILLED_SERVICES = [
  "Lambda",
  "API Gateway",
  "DynamoDB",
  "Kinesis",
  "EventBridge",
  "SNS",
  "SQS",
  "S3",
  "CloudFront",
  "X-Ray",
  "CloudWatch Logs",
] as const;

export type BilledService = (typeof BILLED_SERVICES)[number];

/** Which price each of a stage's monthly totals is billed at, and under which service. */
const LINES: readonly { service: BilledService; price: PriceName; units: (t: StagePlan["totals"]) => number }[] = [
  { service: "Lambda", price: "lambdaRequests", units: (t) => t.lambdaRequests },
  { service: "Lambda", price: "lambdaGbSeconds", units: (t) => t.lambdaGbSeconds },
  { service: "API Gateway", price: "apiGatewayRestRequests", units: (t) => t.apiRequests },
  { service: "DynamoDB", price: "dynamodbRru", units: (t) => t.rru },
  { service: "DynamoDB", price: "dynamodbWru", units: (t) => t.wru },
  { service: "DynamoDB", price: "dynamodbStorageGb", units: (t) => t.dynamodbStorageGb },
  { service: "Kinesis", price: "kinesisShardHours", units: (t) => t.shardHours },
  { service: "Kinesis", price: "kinesisPutUnits", units: (t) => t.putUnits },
  { service: "EventBridge", price: "eventbridgeEvents", units: (t) => t.eventbridgeEvents },
  { service: "SNS", price: "snsPublishes", units: (t) => t.snsPublishes },
  { service: "SQS", price: "sqsRequests", units: (t) => t.sqsRequests },
  { service: "S3", price: "s3Puts", units: (t) => t.s3Puts },
  { service: "S3", price: "s3Gets", units: (t) => t.s3Gets },
  { service: "S3", price: "s3StorageGb", units: (t) => t.s3StorageGb },
  { service: "CloudFront", price: "cloudfrontRequests", units: (t) => t.cdnRequests },
  { service: "CloudFront", price: "cloudfrontGbOut", units: (t) => t.cdnGbOut },
  { service: "X-Ray", price: "xrayTraces", units: (t) => t.traces },
  { service: "CloudWatch Logs", price: "logsIngestedGb", units: (t) => t.logsGb },
];

export interface CostLine {
  readonly service: BilledService;
  readonly price: PriceName;
  readonly units: number;
  readonly dollars: number;
}

export interface StageCost {
  readonly users: number;
  readonly lines: readonly CostLine[];
  readonly byService: Readonly<Record<BilledService, number>>;
  readonly total: number;
}

/**
 * A stage's monthly bill: each total of the plan at its tiered price, summed per AWS service.
 *
 * @example
 * ```ts
 * costOf(planStage(topology, WORKLOAD, 10_000_000), PRICES).byService.Kinesis; // shard-hours + PUT units
 * ```
 */
export function costOf(plan: StagePlan, prices: PriceTable): StageCost {
  const lines = LINES.map(({ service, price, units }) => {
    const n = units(plan.totals);
    return { service, price, units: n, dollars: tieredCost(n, prices.prices[price]) };
  });
  const byService = Object.fromEntries(BILLED_SERVICES.map((s) => [s, 0])) as Record<BilledService, number>;
  for (const line of lines) byService[line.service] += line.dollars;
  return { users: plan.users, lines, byService, total: lines.reduce((sum, l) => sum + l.dollars, 0) };
}
