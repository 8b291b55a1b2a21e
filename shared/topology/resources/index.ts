import type { BucketResource } from "./bucket.js";
import type { UserPoolResource } from "./userPool.js";

export type { BucketOptions } from "./bucket.js";
export { bucket } from "./bucket.js";
export type { ResourceDeclaration } from "./resource.js";
export type { UserPoolResource } from "./userPool.js";
export { userPool } from "./userPool.js";

/** Every kind of per-service resource a service can declare (a new kind adds its file and one member here). */
export type ResourceDefinition = UserPoolResource | BucketResource;
export type ResourceKind = ResourceDefinition["kind"];
export type ResourceOptions<K extends ResourceKind> = Extract<ResourceDefinition, { kind: K }>["options"];

/** One declared resource in the topology, by kind: plain data the stacks and the local runtime build from. */
export type ResourceNodes = {
  readonly [K in ResourceKind]: {
    /** The link name, the SST component name and `SST_RESOURCE_<name>` (`UsersUserPool`, `MediaBucket`). */
    readonly name: string;
    readonly service: string;
    readonly kind: K;
    readonly options: ResourceOptions<K>;
    readonly linkable: boolean;
    /** Type names of the events the resource raises. */
    readonly raises: readonly string[];
  };
};
export type ResourceNode<K extends ResourceKind = ResourceKind> = ResourceNodes[K];

/** The topology node of one declared resource. */
export function resourceNode(service: string, name: string, definition: ResourceDefinition): ResourceNode {
  return {
    name,
    service,
    kind: definition.kind,
    options: definition.options,
    linkable: definition.linkable,
    raises: definition.raises.map((contract) => contract.type),
  } as ResourceNode;
}

/** Resources of one kind, narrowed. */
export function resourcesOfKind<K extends ResourceKind>(
  resources: readonly ResourceNode[],
  kind: K,
): ResourceNode<K>[] {
  return resources.filter((r): r is ResourceNode<K> => r.kind === kind);
}
