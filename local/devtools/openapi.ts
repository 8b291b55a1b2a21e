import { type ConversionConfig, toJsonSchema } from "@valibot/to-json-schema";
import type * as v from "valibot";
import { PROBLEM_CONTENT_TYPE, PROBLEM_KINDS } from "../../shared/http/problem.js";
import type { RouteNode, Topology } from "../../shared/topology/index.js";

export type JsonSchema = Record<string, unknown>;

export interface OpenApiParameter {
  readonly name: string;
  readonly in: "path" | "query" | "header";
  readonly required: boolean;
  readonly description?: string;
  readonly schema: JsonSchema;
}

export interface OpenApiMedia {
  readonly schema: JsonSchema;
}

export interface OpenApiResponse {
  readonly description: string;
  readonly headers?: Readonly<Record<string, { readonly $ref: string }>>;
  readonly content?: Readonly<Record<string, OpenApiMedia>>;
}

export type OpenApiResponseOrRef = OpenApiResponse | { readonly $ref: string };

export interface OpenApiOperation {
  readonly operationId: string;
  readonly summary: string;
  readonly tags: readonly string[];
  readonly parameters?: readonly OpenApiParameter[];
  readonly requestBody?: { readonly required: boolean; readonly content: Readonly<Record<string, OpenApiMedia>> };
  readonly responses: Readonly<Record<string, OpenApiResponseOrRef>>;
  readonly security?: readonly Readonly<Record<string, readonly string[]>>[];
  /** Owner-only: the path parameter naming the resource and the resource's attribute holding its owner. */
  readonly "x-owner"?: { readonly path: string; readonly field: string };
}

export type OpenApiMethod = "get" | "post" | "put" | "patch" | "delete";

export interface OpenApiDocument {
  readonly openapi: "3.1.0";
  readonly info: { readonly title: string; readonly version: string; readonly description: string };
  readonly jsonSchemaDialect: string;
  readonly servers: readonly { readonly url: string; readonly description: string }[];
  readonly tags: readonly { readonly name: string }[];
  readonly paths: Readonly<Record<string, Partial<Record<OpenApiMethod, OpenApiOperation>>>>;
  readonly components: {
    readonly schemas: Readonly<Record<string, JsonSchema>>;
    readonly responses: Readonly<Record<string, OpenApiResponse>>;
    readonly headers: Readonly<Record<string, { readonly description: string; readonly schema: JsonSchema }>>;
    readonly securitySchemes?: Readonly<Record<string, Readonly<Record<string, string>>>>;
  };
}

/** OpenAPI 3.1's own dialect; requests are documented as clients send them (before any transform). */
export const REQUEST_SCHEMA_CONFIG: ConversionConfig = {
  target: "draft-2020-12",
  typeMode: "input",
  errorMode: "ignore",
};
export const RESPONSE_SCHEMA_CONFIG: ConversionConfig = {
  target: "draft-2020-12",
  typeMode: "output",
  errorMode: "ignore",
};

export const BEARER_SCHEME = "bearerAuth";

/** The contract's error answers, each an RFC 9457 problem (`application/problem+json`). */
const ERROR_RESPONSES = {
  "400": { name: "BadRequest", description: "Malformed JSON, a schema violation (every field listed) or a bad query" },
  "401": { name: "Unauthorized", description: "Missing, malformed, expired or forged bearer token" },
  "403": { name: "Forbidden", description: "Authenticated, but not allowed (not the owner)" },
  "404": { name: "NotFound", description: "Unknown resource" },
  "409": { name: "Conflict", description: "Conflict with the current state, or the same idempotency key in flight" },
  "413": { name: "PayloadTooLarge", description: "Request body over 64 KiB" },
  "415": { name: "UnsupportedMediaType", description: "A body that is not JSON" },
  "422": { name: "IdempotencyKeyReused", description: "The idempotency key was used with another body" },
  "429": { name: "TooManyRequests", description: "A limit was reached; retry after the retry-after header's seconds" },
} as const;

type ErrorStatus = keyof typeof ERROR_RESPONSES;

const PROBLEM_SCHEMA: JsonSchema = {
  type: "object",
  description: "RFC 9457 problem details",
  properties: {
    type: { type: "string", format: "uri", examples: [PROBLEM_KINDS.validation.type] },
    title: { type: "string" },
    status: { type: "integer" },
    detail: { type: "string" },
    errors: {
      type: "array",
      items: {
        type: "object",
        properties: {
          path: { type: "string", examples: ["body.email"] },
          message: { type: "string" },
        },
        required: ["path", "message"],
      },
    },
  },
  required: ["type", "title", "status", "detail"],
};

const TRACE_HEADERS = {
  "x-amzn-trace-id": { $ref: "#/components/headers/XAmznTraceId" },
  "x-request-id": { $ref: "#/components/headers/XRequestId" },
};

/** What a cached GET (`cache` on its route) answers beside the trace headers, on its 200 and its 304. */
const CACHE_HEADERS = {
  ...TRACE_HEADERS,
  etag: { $ref: "#/components/headers/ETag" },
  "cache-control": { $ref: "#/components/headers/CacheControl" },
  vary: { $ref: "#/components/headers/Vary" },
};

const CACHE_HEADER_COMPONENTS = {
  ETag: { description: "Strong entity tag of the body, for if-none-match", schema: { type: "string" } },
  CacheControl: {
    description: "public, max-age=…, s-maxage=… (the CDN honours s-maxage); private for an authorized request",
    schema: { type: "string" },
  },
  Vary: { description: "authorization: a signed-in caller never gets the public copy", schema: { type: "string" } },
};

const IF_NONE_MATCH: OpenApiParameter = {
  name: "if-none-match",
  in: "header",
  required: false,
  description: "Entity tags the client holds (or *): a match answers 304 with no body",
  schema: { type: "string" },
};

/** `{userId}` and API Gateway's greedy `{proxy+}` → their names. */
export function pathParameters(path: string): string[] {
  return [...path.matchAll(/\{([^}]+?)\+?\}/g)].map((match) => match[1] ?? "");
}

function schemaOf(schema: v.GenericSchema, config: ConversionConfig): JsonSchema {
  return toJsonSchema(schema, config) as JsonSchema;
}

/** The query schema's properties, one parameter each (API Gateway passes query values as strings). */
function queryParameters(schema: v.GenericSchema): OpenApiParameter[] {
  const json = schemaOf(schema, REQUEST_SCHEMA_CONFIG);
  const properties = (json.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set(Array.isArray(json.required) ? json.required : []);
  return Object.entries(properties).map(([name, property]) => ({
    name,
    in: "query",
    required: required.has(name),
    schema: property,
  }));
}

const SUCCESS_DESCRIPTIONS: Readonly<Record<number, string>> = {
  200: "OK",
  201: "Created",
  202: "Accepted",
  204: "No Content",
};

/**
 * The success answer: the route's declared status; without one, only what is certain is said: a GET answers 200,
 * a DELETE without a body 204, anything else some 2XX (201 for creates, 202 for accepted work).
 */
function successResponse(route: RouteNode): [string, OpenApiResponse] {
  const response = route.definition.schemas?.response;
  const content = response ? { "application/json": { schema: schemaOf(response, RESPONSE_SCHEMA_CONFIG) } } : undefined;
  const declared = route.definition.successStatus;
  const headers = route.definition.cache ? CACHE_HEADERS : TRACE_HEADERS;
  if (declared) {
    const description = SUCCESS_DESCRIPTIONS[declared] ?? "Success";
    return [String(declared), { description, headers, ...(content && { content }) }];
  }
  if (route.method === "GET") return ["200", { description: "OK", headers, ...(content && { content }) }];
  if (route.method === "DELETE" && !content) return ["204", { description: "No Content", headers: TRACE_HEADERS }];
  return ["2XX", { description: "Success", headers: TRACE_HEADERS, ...(content && { content }) }];
}

/** Which of the contract's errors a route can answer, from what it takes and whether it needs a token. */
function errorStatuses(route: RouteNode): ErrorStatus[] {
  const schemas = route.definition.schemas ?? {};
  const writes = route.method === "POST" || route.method === "PUT" || route.method === "PATCH";
  const statuses: ErrorStatus[] = [];
  // A path schema and the idempotency-key header are validated too.
  if (schemas.body || schemas.query || schemas.path || route.definition.idempotency) statuses.push("400");
  if (route.auth) statuses.push("401", "403");
  if (pathParameters(route.path).length > 0) statuses.push("404");
  if (route.definition.idempotency) statuses.push("409", "422");
  if (schemas.body || writes) statuses.push("413");
  if (schemas.body) statuses.push("415");
  for (const status of route.definition.errors ?? []) {
    const key = String(status);
    if (key in ERROR_RESPONSES && !statuses.includes(key as ErrorStatus)) statuses.push(key as ErrorStatus);
  }
  return statuses.sort();
}

/** A path parameter's schema: from the route's path schema when it has one, else any string. */
function pathSchema(route: RouteNode, name: string): JsonSchema {
  const schema = route.definition.schemas?.path;
  const properties = schema
    ? ((schemaOf(schema, REQUEST_SCHEMA_CONFIG).properties ?? {}) as Record<string, JsonSchema>)
    : {};
  return properties[name] ?? { type: "string" };
}

function operationOf(route: RouteNode, operationId: string, service: string): OpenApiOperation {
  const schemas = route.definition.schemas ?? {};
  const parameters: OpenApiParameter[] = [
    ...pathParameters(route.path).map(
      (name): OpenApiParameter => ({ name, in: "path", required: true, schema: pathSchema(route, name) }),
    ),
    ...(schemas.query ? queryParameters(schemas.query) : []),
    ...(route.definition.cache ? [IF_NONE_MATCH] : []),
    ...(route.definition.idempotency
      ? [
          {
            name: "idempotency-key",
            in: "header" as const,
            required: false,
            description: "Repeat a POST safely: the same key and body return the first result and change nothing",
            schema: { type: "string", format: "uuid" },
          },
        ]
      : []),
  ];
  const [successStatus, success] = successResponse(route);
  const responses: Record<string, OpenApiResponseOrRef> = { [successStatus]: success };
  if (route.definition.cache) {
    responses["304"] = {
      description: "Not Modified: the if-none-match tag is current (no body)",
      headers: CACHE_HEADERS,
    };
  }
  for (const status of errorStatuses(route)) {
    responses[status] = { $ref: `#/components/responses/${ERROR_RESPONSES[status].name}` };
  }
  return {
    operationId,
    summary: route.summary,
    tags: [service],
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(schemas.body
      ? {
          requestBody: {
            required: true,
            content: { "application/json": { schema: schemaOf(schemas.body, REQUEST_SCHEMA_CONFIG) } },
          },
        }
      : {}),
    responses,
    ...(route.auth ? { security: [{ [BEARER_SCHEME]: [] }] } : {}),
    ...(route.definition.owner ? { "x-owner": route.definition.owner } : {}),
  };
}

/** Unique per document: the function's name, with the method when one function serves several routes. */
function operationIds(routes: readonly RouteNode[]): string[] {
  const uses = new Map<string, number>();
  for (const route of routes) uses.set(route.function, (uses.get(route.function) ?? 0) + 1);
  const seen = new Set<string>();
  return routes.map((route) => {
    let id = (uses.get(route.function) ?? 0) > 1 ? `${route.function}${pascalMethod(route.method)}` : route.function;
    for (let n = 2; seen.has(id); n++) id = `${route.function}${n}`;
    seen.add(id);
    return id;
  });
}

const pascalMethod = (method: string): string => method.charAt(0) + method.slice(1).toLowerCase();

/** Where `npm run dev` serves the gateway by default: the local server when no request says where it runs. */
export const DEFAULT_LOCAL_ORIGIN = "http://127.0.0.1:4000";

/**
 * A service's servers: the running gateway (the origin a request reached it on) and production, each with the base
 * path, as the base-path mapping serves it.
 *
 * @example
 * ```ts
 * openApiServers("/users", "http://localhost:4100")[0]?.url; // "http://localhost:4100/users"
 * ```
 */
export function openApiServers(basePath: string, localOrigin = DEFAULT_LOCAL_ORIGIN): OpenApiDocument["servers"] {
  return [
    { url: `${localOrigin}${basePath}`, description: "npm run dev" },
    { url: `https://api.example.com${basePath}`, description: "production" },
  ];
}

/**
 * The OpenAPI 3.1 document of one service, generated from the topology and the very valibot schemas its handlers
 * validate with: paths under the service's base path (the servers carry it, as the base-path mapping does),
 * path, query and body parameters, success and problem+json error responses, bearer security on auth routes.
 * `localOrigin` is where the gateway runs (default {@link DEFAULT_LOCAL_ORIGIN}).
 *
 * @example
 * ```ts
 * const doc = openApiDocument(buildTopology(services), "users");
 * doc?.paths["/{userId}"]?.get?.operationId; // "UsersGetUser"
 * ```
 */
export function openApiDocument(
  topology: Topology,
  serviceName: string,
  options: { readonly localOrigin?: string } = {},
): OpenApiDocument | undefined {
  const service = topology.services.find((s) => s.name === serviceName);
  if (!service) return undefined;
  const routes = topology.routes.filter((route) => route.service === serviceName);
  const ids = operationIds(routes);
  const paths: Record<string, Partial<Record<OpenApiMethod, OpenApiOperation>>> = {};
  routes.forEach((route, i) => {
    const item = paths[route.path] ?? {};
    item[route.method.toLowerCase() as OpenApiMethod] = operationOf(route, ids[i] ?? route.function, service.name);
    paths[route.path] = item;
  });
  const responses: Record<string, OpenApiResponse> = {};
  for (const { name, description } of Object.values(ERROR_RESPONSES)) {
    responses[name] = {
      description,
      headers: TRACE_HEADERS,
      content: { [PROBLEM_CONTENT_TYPE]: { schema: { $ref: "#/components/schemas/Problem" } } },
    };
  }
  const hasAuth = routes.some((route) => route.auth);
  const hasCache = routes.some((route) => route.definition.cache);
  return {
    openapi: "3.1.0",
    info: {
      title: `Summit ${service.name} API`,
      version: "0.1.0",
      description: `The ${service.name} service, mapped at ${service.basePath} on the stage's domain.`,
    },
    // OpenAPI 3.1's default dialect (JSON Schema 2020-12 and OpenAPI's vocabulary), the one Swagger UI renders; each
    // generated schema also names draft 2020-12 in its own `$schema`.
    jsonSchemaDialect: "https://spec.openapis.org/oas/3.1/dialect/base",
    servers: openApiServers(service.basePath, options.localOrigin),
    tags: [{ name: service.name }],
    paths,
    components: {
      schemas: { Problem: PROBLEM_SCHEMA },
      responses,
      headers: {
        XAmznTraceId: { description: "The X-Ray trace that served the request", schema: { type: "string" } },
        XRequestId: { description: "The request's id, to quote when reporting a problem", schema: { type: "string" } },
        ...(hasCache ? CACHE_HEADER_COMPONENTS : {}),
      },
      ...(hasAuth
        ? {
            securitySchemes: {
              [BEARER_SCHEME]: {
                type: "http",
                scheme: "bearer",
                bearerFormat: "JWT",
                description: "A Cognito access token from POST /users/signin",
              },
            },
          }
        : {}),
    },
  };
}
