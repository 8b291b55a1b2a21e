import type { IncomingMessage } from "node:http";
import { catalog } from "../../events/catalog.js";
import { transports } from "../../shared/routing/index.js";
import type { Topology } from "../../shared/topology/index.js";
import { ENDPOINT_ENV } from "../emulators/index.js";
import { asyncApiPage } from "./asyncApiPage.js";
import { type AsyncApiDocument, asyncApiDocument } from "./asyncapi.js";
import { DOCS_SCRIPT, docsPage } from "./docsPage.js";
import { type OpenApiDocument, openApiDocument, openApiServers } from "./openapi.js";
import { requestOrigin } from "./requestOrigin.js";
import { type Asset, SCRIPT_TYPE, swaggerUiAsset } from "./swaggerUi.js";

export interface DocsSite {
  /** `/docs`: Swagger UI over every service's document. */
  page(): string;
  /** `/docs/{service}.json`, its servers the gateway the request reached; `undefined` for an unknown service. */
  openApi(service: string, req: Pick<IncomingMessage, "headers" | "socket">): OpenApiDocument | undefined;
  /** `/docs/asyncapi.json`. */
  asyncApi(): AsyncApiDocument;
  /** `/docs/asyncapi.html`. */
  asyncApiPage(): string;
  /** `/docs/assets/{name}`: the page's script or a Swagger UI file; `undefined` for any other name. */
  asset(name: string): Promise<Asset | undefined>;
}

/**
 * What `/docs*` serves, built from the topology and the event catalog on first use and then kept (the topology does
 * not change while the process runs). `env` is the runtime's SDK variables: each emulator it names becomes a local
 * server of the AsyncAPI document.
 *
 * @example
 * ```ts
 * const docs = docsSite(topology, emulators.env);
 * docs.openApi("users", req)?.servers[0]?.url; // "http://127.0.0.1:4000/users"
 * ```
 */
export function docsSite(topology: Topology, env: Readonly<Record<string, string>> = {}): DocsSite {
  const documents = new Map<string, OpenApiDocument>();
  const documentOf = (service: string): OpenApiDocument | undefined => {
    const known = documents.get(service);
    if (known) return known;
    const built = openApiDocument(topology, service);
    if (built) documents.set(service, built);
    return built;
  };
  let events: AsyncApiDocument | undefined;
  const asyncApi = (): AsyncApiDocument => {
    events ??= asyncApiDocument(topology, Object.values(catalog), {
      localEndpoints: Object.fromEntries(
        transports.flatMap((t) => (env[ENDPOINT_ENV[t]] ? [[t, env[ENDPOINT_ENV[t]]]] : [])),
      ),
    });
    return events;
  };
  return {
    page: () => docsPage(topology.services.map((s) => s.name)),
    openApi(service, req) {
      const doc = documentOf(service);
      const basePath = topology.services.find((s) => s.name === service)?.basePath ?? "";
      return doc && { ...doc, servers: openApiServers(basePath, requestOrigin(req)) };
    },
    asyncApi,
    asyncApiPage: () => asyncApiPage(asyncApi()),
    asset: async (name) => (name === "docs.js" ? { type: SCRIPT_TYPE, body: DOCS_SCRIPT } : swaggerUiAsset(name)),
  };
}
