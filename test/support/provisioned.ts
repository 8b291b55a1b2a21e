import { type ProvisionTarget, provision, type Resources } from "../../local/runtime/provision.js";
import { buildTopology, type ServiceDefinition } from "../../shared/topology/index.js";
import type { UsedEmulators } from "./emulators.js";

/**
 * Creates, on the shared emulators, every resource of `services`' topology under names that start with `prefix` (the
 * emulators are shared by the test files), as `npm run dev` provisions them, and returns them by topology name.
 *
 * @example
 * ```ts
 * const { ProductsTable } = await provisioned(emulators, [products], prefix);
 * ```
 */
export function provisioned(
  emulators: Pick<UsedEmulators, "endpoints" | "env">,
  services: readonly ServiceDefinition[],
  prefix: string,
): Promise<Resources> {
  const target: ProvisionTarget = {
    endpoints: emulators.endpoints,
    region: emulators.env.AWS_REGION ?? "us-east-1",
    accountId: "000000000000",
    prefix,
  };
  return provision(buildTopology(services), target);
}
