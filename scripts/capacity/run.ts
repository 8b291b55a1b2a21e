/**
 * `npm run capacity`: the capacity and cost plan of every stage, read off the topology of `services/index.ts` and the
 * workload model (and `SUMMIT_REGIONS`, as the deploy reads it), printed as tables and written as a page with its charts (`.summit/capacity.html`, or the path in
 * `SUMMIT_CAPACITY_HTML`).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { services } from "../../services/index.js";
import { buildTopology, regionsFrom } from "../../shared/topology/index.js";
import { capacityReport, htmlReport, PRICES, textReport, WORKLOAD } from "./index.js";

// The regions of the deploy (`SUMMIT_REGIONS`): the tables' writes and storage are billed in each; the rest is one
// region's (each other region adds its own functions, transports and API for the traffic it takes).
const regions = regionsFrom(process.env.SUMMIT_REGIONS);
const report = capacityReport(buildTopology(services, regions ? { regions } : {}), WORKLOAD, PRICES);
const out = resolve(process.env.SUMMIT_CAPACITY_HTML ?? ".summit/capacity.html");
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, htmlReport(report));
console.log(textReport(report));
console.log(`\nWrote ${out}`);
