import type { APIGatewayProxyEvent } from "aws-lambda";

export interface GatewayRequest {
  readonly method: string;
  /** The whole path as requested on the domain, base path included (`/shop/orders/o-1`). */
  readonly path: string;
  /** The raw query string, without `?`. */
  readonly query: string;
  /** Alternating names and values, as received (`IncomingMessage.rawHeaders`). */
  readonly rawHeaders: readonly string[];
  readonly body: Buffer;
  readonly sourceIp: string;
  readonly protocol: string;
  readonly receivedAt: number;
}

export interface ProxyEventInput {
  readonly request: GatewayRequest;
  /** The resource template under the base path (`/orders/{orderId}`). */
  readonly resource: string;
  /** The path under the base path (`/orders/o-1`). */
  readonly apiPath: string;
  readonly pathParameters: Record<string, string> | null;
  readonly stage: string;
  readonly accountId: string;
  readonly apiId: string;
  readonly requestId: string;
  /** The trace header API Gateway passes on (`X-Amzn-Trace-Id`: its stage segment as parent). */
  readonly traceHeader: string;
  readonly claims?: Record<string, string>;
}

/** Content types API Gateway hands over as text; anything else is binary and base64-encoded. */
const TEXT_TYPES = [/^text\//, /json/, /xml/, /javascript/, /^application\/x-www-form-urlencoded/, /yaml/];

export function isTextContentType(contentType: string | undefined): boolean {
  if (!contentType) return true;
  const type = contentType.split(";")[0]!.trim().toLowerCase();
  return TEXT_TYPES.some((pattern) => pattern.test(type));
}

/**
 * The REST API (v1) Lambda proxy integration event ("Input format of a Lambda function for proxy integration"):
 * single- and multi-value maps of headers and query parameters (null when none; the single-value map keeps
 * the last value), path parameters (null when none), `stageVariables` null, the body as text or base64, and the
 * request context. API Gateway adds `X-Amzn-Trace-Id` and the `X-Forwarded-*` headers.
 */
export function proxyEvent(input: ProxyEventInput): APIGatewayProxyEvent {
  const { request } = input;
  const headers: Record<string, string> = {};
  const multiValueHeaders: Record<string, string[]> = {};
  const add = (name: string, value: string) => {
    const existing = Object.keys(headers).find((key) => key.toLowerCase() === name.toLowerCase()) ?? name;
    headers[existing] = value;
    multiValueHeaders[existing] = [...(multiValueHeaders[existing] ?? []), value];
  };
  for (let i = 0; i + 1 < request.rawHeaders.length; i += 2) {
    const name = request.rawHeaders[i]!;
    if (/^(x-amzn-trace-id|x-forwarded-(for|port|proto))$/i.test(name)) continue;
    add(name, request.rawHeaders[i + 1]!);
  }
  const host = headers.Host ?? headers.host ?? "127.0.0.1";
  add("X-Amzn-Trace-Id", input.traceHeader);
  add("X-Forwarded-For", request.sourceIp);
  add("X-Forwarded-Port", host.includes(":") ? host.slice(host.lastIndexOf(":") + 1) : "80");
  add("X-Forwarded-Proto", "http");

  const queryStringParameters: Record<string, string> = {};
  const multiValueQueryStringParameters: Record<string, string[]> = {};
  for (const [name, value] of new URLSearchParams(request.query)) {
    queryStringParameters[name] = value;
    multiValueQueryStringParameters[name] = [...(multiValueQueryStringParameters[name] ?? []), value];
  }
  const hasQuery = Object.keys(queryStringParameters).length > 0;

  const contentType = Object.entries(headers).find(([name]) => name.toLowerCase() === "content-type")?.[1];
  const binary = request.body.length > 0 && !isTextContentType(contentType);
  const body = request.body.length === 0 ? null : request.body.toString(binary ? "base64" : "utf8");
  const userAgent = Object.entries(headers).find(([name]) => name.toLowerCase() === "user-agent")?.[1] ?? null;

  return {
    resource: input.resource,
    path: request.path,
    httpMethod: request.method,
    headers,
    multiValueHeaders,
    queryStringParameters: hasQuery ? queryStringParameters : null,
    multiValueQueryStringParameters: hasQuery ? multiValueQueryStringParameters : null,
    pathParameters: input.pathParameters,
    stageVariables: null,
    requestContext: {
      accountId: input.accountId,
      apiId: input.apiId,
      // Present only when an authorizer ran: the Cognito authorizer's claims.
      ...(input.claims ? { authorizer: { claims: input.claims } } : {}),
      domainName: host.split(":")[0]!,
      domainPrefix: host.split(".")[0]!.split(":")[0]!,
      extendedRequestId: input.requestId,
      httpMethod: request.method,
      identity: {
        accessKey: null,
        accountId: null,
        apiKey: null,
        apiKeyId: null,
        caller: null,
        clientCert: null,
        cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: null,
        sourceIp: request.sourceIp,
        user: null,
        userAgent,
        userArn: null,
      },
      path: `/${input.stage}${input.apiPath === "/" ? "" : input.apiPath}`,
      protocol: request.protocol,
      requestId: input.requestId,
      requestTime: requestTime(request.receivedAt),
      requestTimeEpoch: request.receivedAt,
      resourceId: resourceId(input.resource),
      resourcePath: input.resource,
      stage: input.stage,
    } as APIGatewayProxyEvent["requestContext"],
    body,
    isBase64Encoded: binary,
  };
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** `09/Apr/2015:12:34:56 +0000`, the CLF time API Gateway writes. */
function requestTime(epochMs: number): string {
  const d = new Date(epochMs);
  const two = (n: number) => String(n).padStart(2, "0");
  return `${two(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${two(d.getUTCHours())}:${two(
    d.getUTCMinutes(),
  )}:${two(d.getUTCSeconds())} +0000`;
}

/** A stable six-character resource id, as API Gateway assigns one per resource. */
function resourceId(resource: string): string {
  let hash = 7;
  for (const char of resource) hash = (hash * 31 + char.charCodeAt(0)) >>> 0;
  return hash.toString(36).padStart(6, "0").slice(-6);
}
