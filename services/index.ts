import type { ServiceDefinition } from "../shared/topology/index.js";

/** Every service of the system, as deployed by `sst.config.ts` and run by `npm run dev`. */
export const services: ServiceDefinition[] = [];
