import type { ResourceKind, ResourceNode, Topology } from "../../shared/topology/index.js";
import type { Apis } from "../api.js";
import type { Linkable } from "../links.js";
import type { Transports } from "../transports.js";
import { buildBucket } from "./bucket.js";
import { buildUserPool } from "./userPool.js";

/** What a kind's builder gives back: whatever it created, and what the rest of the stage may use of it. */
export interface BuiltResource {
  readonly kind: ResourceKind;
  /** The components created, by role (`pool`, `client`; `bucket`, `cdn`). */
  readonly components: Readonly<Record<string, unknown>>;
  /**
   * What a function linking the resource is given: the component SST links (its IAM statements and properties), and
   * properties its link leaves out (`clientId`, `cdnUrl`). A kind nothing links to has none.
   */
  readonly link?: { readonly target: Linkable; readonly extras?: Record<string, $util.Input<string>> };
  /** A user pool's ARN, for the APIs' Cognito authorizer: the first resource that has one authorizes every API. */
  readonly authorizerPoolArn?: $util.Input<string>;
  /** Runs once the APIs exist, for a kind that stands in front of them (a CDN before an API, say). */
  readonly afterApis?: (apis: Apis) => void;
}

/** What a builder may read beside its own node: the topology and the transports, created before any resource. */
export interface BuildContext {
  readonly topology: Topology;
  readonly transports: Transports;
}

export type ResourceBuilder<K extends ResourceKind> = (node: ResourceNode<K>, context: BuildContext) => BuiltResource;

/** One builder per kind (a new kind adds its file and its line here; the compiler asks for it). */
const builders: { readonly [K in ResourceKind]: ResourceBuilder<K> } = {
  userPool: buildUserPool,
  bucket: buildBucket,
};

function build<K extends ResourceKind>(node: ResourceNode<K>, context: BuildContext): BuiltResource {
  const builder: ResourceBuilder<K> = builders[node.kind];
  return builder(node, context);
}

export type Resources = Record<string, BuiltResource>;

/** Every declared resource of every service, by its link name (which is also its SST component name). */
export function createResources(topology: Topology, transports: Transports): Resources {
  const resources: Resources = {};
  for (const node of topology.resources) resources[node.name] = build(node, { topology, transports });
  return resources;
}
