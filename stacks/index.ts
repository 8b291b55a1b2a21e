import { homeRegion, isMultiRegion, type Topology } from "../shared/topology/index.js";
import type { Apis } from "./api.js";
import { createApis } from "./api.js";
import { type Cdn, createCdn } from "./cdn.js";
import type { Tables } from "./data.js";
import { createTables } from "./data.js";
import type { Functions } from "./functions.js";
import { createFunctions } from "./functions.js";
import type { Linkable, LinkRegistry } from "./links.js";
import type { Monitoring } from "./monitoring.js";
import { createMonitoring } from "./monitoring.js";
import type { Resources } from "./resources/index.js";
import { createResources } from "./resources/index.js";
import { type ApiProtection, applyEncryption, protectApis } from "./security.js";
import { createSubscriptions } from "./subscriptions.js";
import { applyTracing, createSamplingRules } from "./tracing.js";
import type { Transports } from "./transports.js";
import { createTransports } from "./transports.js";

export { stageDomain } from "./domain.js";

export interface DeployOptions {
  readonly stage: string;
  /** The stage's one custom domain (`stageDomain`). */
  readonly domain: string;
  /**
   * The region this stage deploys into, for a multi-region topology (default its home region): the home region
   * declares the global tables and the CDN, every region its own API behind a latency-based record.
   */
  readonly region?: string;
  /** Leave X-Ray out. Exists only so the synth test can show its tracing check catches the omission. */
  readonly tracing?: boolean;
}

export interface Deployed {
  readonly domain: string;
  readonly tables: Tables;
  readonly transports: Transports;
  /** Every service's declared resources (user pools, buckets, …), by link name. */
  readonly resources: Resources;
  readonly functions: Functions;
  readonly apis: Apis;
  /** The web ACL in front of every API (none when no service has routes). */
  readonly protection: ApiProtection | undefined;
  /** The CDN in front of the API domain, when some route declares `cache`. */
  readonly cdn: Cdn | undefined;
  readonly monitoring: Monitoring;
}

/** Every linkable resource under the name the topology uses for it. */
function linkRegistry(tables: Tables, transports: Transports, resources: Resources): LinkRegistry {
  const targets: Record<string, Linkable> = {
    ...tables,
    ...transports.topics,
    ...transports.queues,
    ...transports.streams,
  };
  if (transports.bus) targets.Bus = transports.bus;
  const extras: Record<string, Record<string, $util.Input<string>>> = {};
  // Each kind's builder says what linking it gives (the pool with its app client's id, the bucket with its CDN URL).
  for (const [name, { link }] of Object.entries(resources)) {
    if (!link) continue;
    targets[name] = link.target;
    if (link.extras) extras[name] = link.extras;
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
  applyEncryption();
  const region = options.region ?? homeRegion(topology);
  if (region && topology.regions && !topology.regions.includes(region))
    throw new Error(
      `the stage deploys into ${region}, which is not among the topology's regions (${topology.regions.join(", ")})`,
    );
  const tables = createTables(topology, region);
  const transports = createTransports(topology);
  const resources = createResources(topology, transports);
  const functions = createFunctions(topology, linkRegistry(tables, transports, resources), transports);
  createSubscriptions(topology, functions, transports, tables);
  const apis = createApis(topology, functions, resources, options.domain, region);
  const protection = protectApis(apis, $app.stage);
  for (const resource of Object.values(resources)) resource.afterApis?.(apis);
  // CloudFront is global and its alias has one owner: the home region's stage, its origin the latency-routed domain.
  const cdn =
    region === homeRegion(topology) || !isMultiRegion(topology) ? createCdn(topology, apis, options.domain) : undefined;
  if (options.tracing !== false) createSamplingRules(topology, apis, options.stage);
  const monitoring = createMonitoring(topology, functions, transports, apis);
  return { domain: options.domain, tables, transports, resources, functions, apis, protection, cdn, monitoring };
}
