import type { ServiceDefinition } from "../shared/topology/index.js";
import forums from "./forums/service.js";
import media from "./media/service.js";
import products from "./products/service.js";
import users from "./users/service.js";

/** Every service of the system, as deployed by `sst.config.ts` and run by `npm run dev`. */
export const services: ServiceDefinition[] = [users, products, forums, media];
