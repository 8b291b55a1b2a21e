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
    };
  },
  async run() {
    const { services } = await import("./services/index.js");
    const { buildTopology } = await import("./shared/topology/index.js");
    const { deploy, stageDomain } = await import("./stacks/index.js");
    const domain = stageDomain($app.stage, process.env.SUMMIT_DOMAIN);
    const created = deploy(buildTopology(services), { stage: $app.stage, domain });
    // The API's domain, and the CDN's in front of its cacheable public reads (when a route declares caching).
    return { domain: created.domain, ...(created.cdn ? { cdn: created.cdn.domain } : {}) };
  },
});
