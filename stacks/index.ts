import type { Topology } from "../shared/topology/index.js";
import type { Apis } from "./api.js";
import { createApis } from "./api.js";
import type { UserPool } from "./auth.js";
import { createUserPools } from "./auth.js";
import type { Tables } from "./data.js";
import { createTables } from "./data.js";
import type { Functions } from "./functions.js";
import { createFunctions } from "./functions.js";
import type { Linkable, LinkRegistry } from "./links.js";
import type { Media } from "./media.js";
import { createMedia } from "./media.js";
import type { Monitoring } from "./monitoring.js";
import { createMonitoring } from "./monitoring.js";
import { createSubscriptions } from "./subscriptions.js";
import { applyTracing } from "./tracing.js";
import type { Transports } from "./transports.js";
import { createTransports } from "./transports.js";

export { stageDomain } from "./domain.js";

export interface DeployOptions {
  readonly stage: string;
  /** The stage's one custom domain (`stageDomain`). */
  readonly domain: string;
  /** Leave X-Ray out. Exists only so the synth test can show its tracing check catches the omission. */
  readonly tracing?: boolean;
}

export interface Deployed {
  readonly domain: string;
  readonly tables: Tables;
  readonly transports: Transports;
  readonly userPools: Record<string, UserPool>;
  readonly media: Record<string, Media>;
  readonly functions: Functions;
  readonly apis: Apis;
  readonly monitoring: Monitoring;
}

/** Every linkable resource under the name the topology uses for it. */
function linkRegistry(
  tables: Tables,
  transports: Transports,
  pools: Record<string, UserPool>,
  media: Record<string, Media>,
): LinkRegistry {
  const targets: Record<string, Linkable> = {
    ...tables,
    ...transports.topics,
    ...transports.queues,
    ...transports.streams,
  };
  if (transports.bus) targets.Bus = transports.bus;
  const extras: Record<string, Record<string, $util.Input<string>>> = {};
  for (const [name, { pool, client }] of Object.entries(pools)) {
    targets[name] = pool;
    // Sign-in and refresh call InitiateAuth with the app client's id, which SST's user-pool link leaves out.
    extras[name] = { clientId: client.id };
  }
  for (const [name, { bucket, cdn }] of Object.entries(media)) {
    targets[name] = bucket;
    // Handlers hand out CDN URLs for media, never bucket URLs.
    extras[name] = { cdnUrl: cdn.url };
  }
  return { targets, extras };
}

/**
 * Builds the whole stage from the topology: nothing here names a service. Called from `sst.config.ts`'s `run()`.
 *
 * @example
 * ```ts
 * const created = deploy(buildTopology(services), { stage: $app.stage, domain: stageDomain($app.stage) });
 * ```
 */
export function deploy(topology: Topology, options: DeployOptions): Deployed {
  if (options.tracing !== false) applyTracing();
  const tables = createTables(topology);
  const transports = createTransports(topology);
  const userPools = createUserPools(topology);
  const media = createMedia(topology, transports);
  const functions = createFunctions(topology, linkRegistry(tables, transports, userPools, media), transports);
  createSubscriptions(topology, functions, transports);
  const apis = createApis(topology, functions, userPools, options.domain);
  const monitoring = createMonitoring(topology, functions, transports, apis);
  return { domain: options.domain, tables, transports, userPools, media, functions, apis, monitoring };
}
