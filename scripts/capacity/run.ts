/**
 * `npm run capacity`: the capacity and cost plan of every stage, read off the topology of `services/index.ts` and the
 * workload model, printed as tables and written as a page with its charts (`.summit/capacity.html`, or the path in
 * `SUMMIT_CAPACITY_HTML`).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { services } from "../../services/index.js";
import { buildTopology } from "../../shared/topology/index.js";
import { capacityReport, htmlReport, PRICES, textReport, WORKLOAD } from "./index.js";

const report = capacityReport(buildTopology(services), WORKLOAD, PRICES);
const out = resolve(process.env.SUMMIT_CAPACITY_HTML ?? ".summit/capacity.html");
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, htmlReport(report));
console.log(textReport(report));
console.log(`\nWrote ${out}`);
