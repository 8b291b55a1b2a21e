import type { APIGatewayProxyEvent, Context } from "aws-lambda";

/** An API Gateway REST proxy event (v1) as the gateway builds it; `claims` are the Cognito authorizer's. */
export function apiEvent(
  overrides: Partial<APIGatewayProxyEvent> & { claims?: Record<string, unknown> } = {},
): APIGatewayProxyEvent {
  const { claims, ...rest } = overrides;
  return {
    httpMethod: "POST",
    path: "/forums",
    resource: "/forums",
    headers: { "content-type": "application/json" },
    multiValueHeaders: {},
    body: null,
    isBase64Encoded: false,
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: null,
    stageVariables: null,
    requestContext: {
      requestId: "gw-request-1",
      ...(claims ? { authorizer: { claims } } : {}),
    } as APIGatewayProxyEvent["requestContext"],
    ...rest,
  };
}

/** A Lambda context for invoking a handler directly. */
export function lambdaContext(): Context {
  return {
    awsRequestId: "lambda-request-1",
    functionName: "forums-create",
    functionVersion: "$LATEST",
    invokedFunctionArn: "arn:aws:lambda:us-east-1:123456789012:function:forums-create",
    memoryLimitInMB: "256",
    logGroupName: "/aws/lambda/forums-create",
    logStreamName: "stream",
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => 10_000,
    done: () => {},
    fail: () => {},
    succeed: () => {},
  };
}
