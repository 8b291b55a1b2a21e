/**
 * AWS list prices the plan costs with: us-east-1, on demand, x86 Lambda (the stacks' `ARCHITECTURE`), standard
 * queues and topics, S3 Standard, CloudFront's United States tier. A tier runs up to `upTo` units a month (cumulative;
 * `null`: no end); a free tier is a tier priced 0 (only the always-free tiers, not the 12-month ones).
 */

/** One band of a tiered price: units up to `upTo` (cumulative, per month) cost `price` each. */
export interface Tier {
  readonly upTo: number | null;
  readonly price: number;
}

export interface Price {
  /** What one unit is. */
  readonly unit: string;
  readonly tiers: readonly Tier[];
  /** The page the figure was read from. */
  readonly source: string;
}

export interface PriceTable {
  /** When the figures were read. */
  readonly date: string;
  readonly region: string;
  readonly prices: Readonly<Record<PriceName, Price>>;
}

export type PriceName =
  | "lambdaRequests"
  | "lambdaGbSeconds"
  | "apiGatewayRestRequests"
  | "dynamodbWru"
  | "dynamodbRru"
  | "dynamodbStorageGb"
  | "kinesisShardHours"
  | "kinesisPutUnits"
  | "eventbridgeEvents"
  | "snsPublishes"
  | "sqsRequests"
  | "s3Puts"
  | "s3Gets"
  | "s3StorageGb"
  | "cloudfrontGbOut"
  | "cloudfrontRequests"
  | "xrayTraces"
  | "logsIngestedGb";

const M = 1_000_000;
const flat = (price: number, unit: string, source: string, free = 0): Price => ({
  unit,
  tiers:
    free > 0
      ? [
          { upTo: free, price: 0 },
          { upTo: null, price },
        ]
      : [{ upTo: null, price }],
  source,
});

const LAMBDA =
  "https://aws.amazon.com/lambda/pricing/ (and docs.aws.amazon.com/whitepapers/latest/how-aws-pricing-works/lambda.html)";
const DYNAMODB = "https://aws.amazon.com/dynamodb/pricing/on-demand/ (the November 2024 on-demand prices)";
const KINESIS =
  "https://aws.amazon.com/kinesis/data-streams/pricing/ (provisioned mode; the stored copy of the page did not show the figures: the long-standing list prices, to check)";

export const PRICES: PriceTable = {
  date: "2026-12-01",
  region: "us-east-1",
  prices: {
    lambdaRequests: flat(0.2 / M, "request", LAMBDA, M),
    lambdaGbSeconds: {
      unit: "GB-second (x86)",
      tiers: [
        { upTo: 400_000, price: 0 },
        { upTo: 6e9, price: 0.0000166667 },
        { upTo: 15e9, price: 0.000015 },
        { upTo: null, price: 0.000013334 },
      ],
      source: LAMBDA,
    },
    apiGatewayRestRequests: {
      unit: "REST API request",
      tiers: [
        { upTo: 333 * M, price: 3.5 / M },
        { upTo: 1000 * M, price: 2.8 / M },
        { upTo: 20_000 * M, price: 2.38 / M },
        { upTo: null, price: 1.51 / M },
      ],
      source:
        "https://aws.amazon.com/api-gateway/pricing/ (tiers as quoted in docs.aws.amazon.com/whitepapers/latest/best-practices-api-gateway-private-apis-integration/cost-optimization.html)",
    },
    dynamodbWru: flat(0.625 / M, "write request unit", DYNAMODB),
    dynamodbRru: flat(0.125 / M, "read request unit", DYNAMODB),
    dynamodbStorageGb: flat(0.25, "GB-month", DYNAMODB, 25),
    kinesisShardHours: flat(0.015, "shard-hour", KINESIS),
    kinesisPutUnits: flat(0.014 / M, "PUT payload unit (25 KB)", KINESIS),
    eventbridgeEvents: flat(
      1 / M,
      "custom event (64 KB)",
      "https://aws.amazon.com/eventbridge/pricing/ (as quoted by blog.awsfundamentals.com/aws-eventbridge-pricing-guide)",
    ),
    snsPublishes: flat(
      0.5 / M,
      "publish (64 KB); Lambda and SQS deliveries free",
      "https://aws.amazon.com/sns/pricing/",
      M,
    ),
    sqsRequests: {
      unit: "request (64 KB)",
      tiers: [
        { upTo: M, price: 0 },
        { upTo: 100_000 * M, price: 0.4 / M },
        { upTo: 200_000 * M, price: 0.3 / M },
        { upTo: null, price: 0.24 / M },
      ],
      source: "https://aws.amazon.com/sqs/pricing/ (standard queues)",
    },
    s3Puts: flat(0.005 / 1000, "PUT, COPY, POST, LIST request", "https://aws.amazon.com/s3/pricing/"),
    s3Gets: flat(0.0004 / 1000, "GET request", "https://aws.amazon.com/s3/pricing/"),
    s3StorageGb: flat(0.023, "GB-month (S3 Standard, first 50 TB)", "https://aws.amazon.com/s3/pricing/"),
    cloudfrontGbOut: {
      unit: "GB to the internet (United States)",
      tiers: [
        { upTo: 1024, price: 0 },
        { upTo: 10 * 1024, price: 0.085 },
        { upTo: 50 * 1024, price: 0.08 },
        { upTo: 150 * 1024, price: 0.06 },
        { upTo: 500 * 1024, price: 0.04 },
        { upTo: 1024 * 1024, price: 0.03 },
        { upTo: 5 * 1024 * 1024, price: 0.025 },
        { upTo: null, price: 0.02 },
      ],
      source: "https://aws.amazon.com/cloudfront/pricing/",
    },
    cloudfrontRequests: flat(
      0.01 / 10_000,
      "HTTPS request (United States)",
      "https://aws.amazon.com/cloudfront/pricing/",
      10 * M,
    ),
    xrayTraces: flat(5 / M, "trace recorded", "https://aws.amazon.com/xray/pricing/", 100_000),
    logsIngestedGb: flat(
      0.5,
      "GB ingested (standard)",
      "https://aws.amazon.com/cloudwatch/pricing/ (not in the stored copies read: the long-standing list price, to check)",
      5,
    ),
  },
};

/**
 * What `units` a month cost under a tiered price: each band's units at its price.
 *
 * @example
 * ```ts
 * tieredCost(400e6, PRICES.prices.apiGatewayRestRequests); // 333 M × $3.50/M + 67 M × $2.80/M = $1,353.10
 * ```
 */
export function tieredCost(units: number, price: Pick<Price, "tiers">): number {
  if (!(units >= 0)) throw new RangeError(`a cost is of a count, not ${units}`);
  let cost = 0;
  let from = 0;
  for (const tier of price.tiers) {
    const to = tier.upTo ?? Number.POSITIVE_INFINITY;
    if (units > from) cost += (Math.min(units, to) - from) * tier.price;
    from = to;
  }
  return cost;
}
