import { isMultiRegion, type Topology } from "../shared/topology/index.js";
import { latencyDns } from "./domain.js";
import type { Functions } from "./functions.js";
import type { Resources } from "./resources/index.js";

/**
 * USER_PASSWORD_AUTH access tokens carry this scope. A Cognito authorizer with scopes on the method accepts only
 * access tokens that hold one of them; without scopes it would take ID tokens, which the contract does not.
 */
export const ACCESS_TOKEN_SCOPE = "aws.cognito.signin.user.admin";

export type Apis = Record<string, sst.aws.ApiGatewayV1>;

/**
 * One REST API per service (REST, because HTTP APIs have no X-Ray tracing), each mapped by its base path onto the
 * stage's one domain: the first API creates the domain (certificate, DNS alias), the others map onto it by id. With
 * several regions the alias is latency-based, one per region (`latencyDns`).
 */
export function createApis(
  topology: Topology,
  functions: Functions,
  resources: Resources,
  domain: string,
  region?: string,
): Apis {
  const apis: Apis = {};
  // One authorizer pool for the domain: the first declared resource that is one.
  const authPoolArn = Object.values(resources).find((r) => r.authorizerPoolArn)?.authorizerPoolArn;
  let domainId: $util.Output<string> | undefined;

  for (const service of topology.services) {
    const routes = topology.routes.filter((r) => r.service === service.name);
    // API Gateway cannot deploy an API without methods; a service without routes has no API and no mapping.
    if (routes.length === 0) continue;
    const path = service.basePath.replace(/^\//, "");
    const name = `${service.name[0]!.toUpperCase()}${service.name.slice(1)}Api`;
    const api = new sst.aws.ApiGatewayV1(name, {
      endpoint: { type: "regional" },
      // `nameId` reuses the domain; SST's type wants `name` in both forms, hence the cast (one domain, many mappings).
      domain: domainId
        ? ({ nameId: domainId, path } as unknown as { name: string; path: string })
        : { name: domain, path, ...(isMultiRegion(topology) && region ? { dns: latencyDns(region) } : {}) },
    });

    const needsAuth = routes.some((r) => r.auth);
    if (needsAuth && !authPoolArn)
      throw new Error(`${service.name} has routes that need a token, but no service declares the user pool`);
    const authorizer =
      needsAuth && authPoolArn ? api.addAuthorizer({ name: "Cognito", userPools: [authPoolArn] }) : undefined;

    for (const route of routes) {
      const fn = functions[route.function];
      if (!fn) throw new Error(`${route.method} ${route.fullPath} names ${route.function}, which was not created`);
      api.route(`${route.method} ${route.path}`, fn.arn, {
        auth:
          route.auth && authorizer ? { cognito: { authorizer: authorizer.id, scopes: [ACCESS_TOKEN_SCOPE] } } : false,
      });
    }
    // ApiGatewayV1 creates its deployment and stage (and the domain mapping) only here, after the routes.
    api.deploy();
    domainId ??= api.nodes.domainName.apply((d) => d.id);
    apis[service.name] = api;
  }
  return apis;
}
