/**
 * The read path of the products service, warm: `GET /products/{productId}` (the real handler: middleware, the origin
 * cache, the etag) against a bare handler that reads the same item from the same table on every call, side by side in
 * one tinybench run against DynamoDB Local. The ratio is what the origin cache buys a warm sandbox; it is below 1
 * when the cache answers faster than a table read.
 */
import { GetCommand } from "@aws-sdk/lib-dynamodb";
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from "aws-lambda";
import { Bench } from "tinybench";
import { benchTable } from "./dynamoLocal.js";

export interface ProductRead {
  readonly bareUs: number;
  readonly handlerUs: number;
  readonly ratio: number;
}

const context = {
  awsRequestId: "bench",
  functionName: "bench",
  getRemainingTimeInMillis: () => 10_000,
} as unknown as Context;

function getEvent(productId: string): APIGatewayProxyEvent {
  return {
    resource: "/{productId}",
    path: `/products/${productId}`,
    httpMethod: "GET",
    headers: { "x-request-id": "bench-1" },
    multiValueHeaders: {},
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: { productId },
    stageVariables: null,
    body: null,
    isBase64Encoded: false,
    requestContext: { requestId: "r-1", stage: "local", path: `/local/products/${productId}` },
  } as unknown as APIGatewayProxyEvent;
}

function p50Us(task: { result?: unknown } | undefined): number {
  const result = task?.result as { latency?: { p50: number } } | undefined;
  if (!result?.latency) throw new Error("a bench task has no result");
  return result.latency.p50 * 1000;
}

export async function productReadLatency(): Promise<ProductRead> {
  const table = await benchTable("ProductsTable");
  try {
    // Imported once the table is linked: the handler reads its configuration when first called, as in Lambda.
    const { createProduct } = await import("../services/products/store/catalog.js");
    const { keys } = await import("../services/products/store/keys.js");
    const { handler } = await import("../services/products/routes/getProduct.js");
    const { productId } = await createProduct(
      "bench-seller",
      {
        name: "Bench lamp",
        description: "A lamp to measure reads by",
        priceCents: 4_999,
        currency: "EUR",
        category: "lighting",
      },
      [],
    );
    const event = getEvent(productId);

    const bare = async (): Promise<APIGatewayProxyResult> => {
      const { Item } = await table.documents.send(
        new GetCommand({ TableName: table.name, Key: keys.product(productId) }),
      );
      return { statusCode: 200, headers: { "content-type": "application/json" }, body: JSON.stringify(Item) };
    };
    const real = async (): Promise<APIGatewayProxyResult> => {
      const result = await handler(event, context);
      if (result.statusCode !== 200) throw new Error(`GET /products/{productId} answered ${result.statusCode}`);
      return result;
    };
    const bench = new Bench({ time: 2_000, warmupTime: 300 });
    bench.add("bare handler, table read", bare).add("GET /products/{productId}", real);
    await bench.run();
    const bareUs = p50Us(bench.tasks[0]);
    const handlerUs = p50Us(bench.tasks[1]);
    return { bareUs, handlerUs, ratio: handlerUs / bareUs };
  } finally {
    await table.stop();
  }
}
