import type { LinkedResource } from "../../../shared/config.js";
import type { ResourceKind, ResourceNode, Topology } from "../../../shared/topology/index.js";
import type { ProvisionTarget, Resources } from "../provision.js";
import { provisionBucket } from "./bucket.js";
import { provisionUserPool } from "./userPool.js";

/** What a kind's provisioner may read: where the emulators are, and what is provisioned already (transports first). */
export interface ProvisionContext {
  readonly topology: Topology;
  readonly target: ProvisionTarget;
  /** The transports and tables, provisioned before any declared resource (a bucket notifies a queue). */
  readonly provisioned: Readonly<Resources>;
  /** `<prefix>-<name>`, as SST prefixes physical names with app and stage. */
  physical(name: string): string;
}

/** Creates one resource on the emulators, idempotently, and gives what SST's `Resource` would give a handler. */
export type ResourceProvisioner<K extends ResourceKind> = (
  node: ResourceNode<K>,
  context: ProvisionContext,
) => Promise<LinkedResource>;

/** One provisioner per kind, as the stacks have one builder per kind (the compiler asks for a new kind's). */
const provisioners: { readonly [K in ResourceKind]: ResourceProvisioner<K> } = {
  userPool: provisionUserPool,
  bucket: provisionBucket,
};

/**
 * Provisions one declared resource through its kind's provisioner.
 *
 * @example
 * ```ts
 * for (const node of topology.resources) resources[node.name] = await provisionResource(node, context);
 * ```
 */
export function provisionResource<K extends ResourceKind>(
  node: ResourceNode<K>,
  context: ProvisionContext,
): Promise<LinkedResource> {
  const provisioner: ResourceProvisioner<K> = provisioners[node.kind];
  return provisioner(node, context);
}
