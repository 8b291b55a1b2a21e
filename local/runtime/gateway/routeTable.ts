import type { RouteNode, ServiceNode } from "../../../shared/topology/index.js";

export type RouteMatch =
  | {
      readonly kind: "route";
      readonly service: ServiceNode;
      readonly route: RouteNode;
      /** The path under the base path, as the API's resources see it (`/orders/o-1`). */
      readonly apiPath: string;
      readonly pathParameters: Record<string, string> | null;
    }
  | { readonly kind: "no-service" }
  | { readonly kind: "no-path"; readonly service: ServiceNode }
  | { readonly kind: "wrong-method"; readonly service: ServiceNode; readonly allow: readonly string[] };

interface Resource {
  readonly segments: readonly string[];
  readonly routes: Map<string, RouteNode>;
}

const split = (path: string): string[] => path.split("/").filter((segment) => segment.length > 0);
const isParam = (segment: string): boolean => segment.startsWith("{") && segment.endsWith("}");

/**
 * The base-path mappings of one custom domain (one REST API per service) and each API's resources. A request
 * path matches the resource whose static segments match most specifically: API Gateway prefers a static
 * segment over a `{param}` at each position ("Set up a proxy integration", resource selection).
 */
export class RouteTable {
  private readonly apis = new Map<string, { service: ServiceNode; resources: Resource[] }>();

  constructor(services: readonly ServiceNode[], routes: readonly RouteNode[]) {
    for (const service of services) {
      const resources = new Map<string, Resource>();
      for (const route of routes.filter((r) => r.service === service.name)) {
        const key = split(route.path).join("/");
        const resource = resources.get(key) ?? { segments: split(route.path), routes: new Map() };
        resource.routes.set(route.method, route);
        resources.set(key, resource);
      }
      this.apis.set(split(service.basePath).join("/"), { service, resources: [...resources.values()] });
    }
  }

  match(method: string, path: string): RouteMatch {
    const segments = split(path).map(safeDecode);
    const api = this.apis.get(segments[0] ?? "");
    if (!api) return { kind: "no-service" };
    const rest = segments.slice(1);
    const candidates = api.resources
      .map((resource) => ({ resource, params: matchSegments(resource.segments, rest) }))
      .filter((c): c is { resource: Resource; params: Record<string, string> } => c.params !== undefined)
      .sort((a, b) => specificity(b.resource.segments) - specificity(a.resource.segments));
    const best = candidates[0];
    if (!best) return { kind: "no-path", service: api.service };
    const route = best.resource.routes.get(method.toUpperCase());
    if (!route) return { kind: "wrong-method", service: api.service, allow: [...best.resource.routes.keys()].sort() };
    const apiPath = `/${split(path).slice(1).join("/")}`;
    return {
      kind: "route",
      service: api.service,
      route,
      apiPath,
      pathParameters: Object.keys(best.params).length > 0 ? best.params : null,
    };
  }
}

function matchSegments(template: readonly string[], path: readonly string[]): Record<string, string> | undefined {
  if (template.length !== path.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < template.length; i++) {
    const expected = template[i]!;
    const actual = path[i]!;
    if (isParam(expected)) params[expected.slice(1, -1)] = actual;
    else if (expected !== actual) return undefined;
  }
  return params;
}

/** Static segments count from the left, so `/a/{x}` beats `/{y}/b` as API Gateway's tree walk would. */
function specificity(segments: readonly string[]): number {
  return segments.reduce((score, segment, i) => score + (isParam(segment) ? 0 : 2 ** (32 - i)), 0);
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
