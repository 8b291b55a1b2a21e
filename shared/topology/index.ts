export type { TopologyProblem } from "./check.js";
export { checkTopology } from "./check.js";
export type {
  ConsumerDefinition,
  HandlerRef,
  HttpMethod,
  NodejsOptions,
  RouteDefinition,
  ServiceDefinition,
  StreamView,
  TableDefinition,
} from "./defineService.js";
export { defineRoute, defineService } from "./defineService.js";
export type { FunctionBuild, SstNodejs } from "./functionBuild.js";
export { FUNCTION_RUNTIME, functionBuild, SST_ESM_BANNER, sstNodejs, sstTarget } from "./functionBuild.js";
export { routeFunctionNames } from "./functionNames.js";
export { handlerExport, handlerFile, pascal } from "./names.js";
export { leavesThroughOutbox, OUTBOX_KEY_PREFIX, OUTBOX_PUBLISHER_HANDLER } from "./outbox.js";
export { checkRegions, homeRegion, isMultiRegion, regionsFrom, replicaRegions } from "./regions.js";
export type {
  BucketOptions,
  ResourceDeclaration,
  ResourceDefinition,
  ResourceKind,
  ResourceNode,
  ResourceNodes,
  ResourceOptions,
} from "./resources/index.js";
export { bucket, resourcesOfKind, userPool } from "./resources/index.js";
export { DEVELOPMENT_MAX_SHARDS, SHARD_LIMITS, shardsFor, shardsOnStage } from "./streamShards.js";
export type {
  Delivery,
  EventPattern,
  FunctionNode,
  OutboxNode,
  QueueNode,
  RouteNode,
  ServiceNode,
  StreamNode,
  SubscriptionNode,
  TableNode,
  TopicNode,
  Topology,
  TopologyOptions,
  Trigger,
} from "./topology.js";
export {
  buildTopology,
  eventSource,
  filterPolicy,
  outboxFilter,
  outboxTable,
  rulePattern,
  streamFilter,
} from "./topology.js";
