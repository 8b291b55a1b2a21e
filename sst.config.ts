/// <reference path="./.sst/platform/config.d.ts" />

/**
 * The one SST app. Its shape comes from the topology (`shared/topology`) built from `services/index.ts`; nothing
 * here is wired per service. SST forbids top-level imports in this file, so `run()` imports dynamically.
 */
export default $config({
  app(input) {
    return {
      name: "summit",
      home: "aws",
      // Production keeps its tables and buckets when the stage is removed, and `sst remove` refuses to run on it.
      removal: input.stage === "production" ? "retain" : "remove",
      protect: ["production"].includes(input.stage),
      // A multi-region stage is deployed once per region (`SUMMIT_REGION`, one of `SUMMIT_REGIONS`).
      ...(process.env.SUMMIT_REGION ? { providers: { aws: { region: process.env.SUMMIT_REGION } } } : {}),
    };
  },
  async run() {
    const { services } = await import("./services/index.js");
    const { buildTopology, regionsFrom } = await import("./shared/topology/index.js");
    const { deploy, stageDomain } = await import("./stacks/index.js");
    const domain = stageDomain($app.stage, process.env.SUMMIT_DOMAIN);
    // One region unless `SUMMIT_REGIONS` names several (home first); see docs/multi-region.md.
    const regions = regionsFrom(process.env.SUMMIT_REGIONS);
    const created = deploy(buildTopology(services, regions ? { regions } : {}), {
      stage: $app.stage,
      domain,
      ...(process.env.SUMMIT_REGION ? { region: process.env.SUMMIT_REGION } : {}),
    });
    // The API's domain, and the CDN's in front of its cacheable public reads (when a route declares caching).
    return { domain: created.domain, ...(created.cdn ? { cdn: created.cdn.domain } : {}) };
  },
});
