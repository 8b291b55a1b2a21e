export type { TopologyProblem } from "./check.js";
export { checkTopology } from "./check.js";
export type {
  ConsumerDefinition,
  HandlerRef,
  HttpMethod,
  RouteDefinition,
  ServiceDefinition,
  TableDefinition,
} from "./defineService.js";
export { defineRoute, defineService } from "./defineService.js";
export { handlerExport, handlerFile, pascal } from "./names.js";
export type {
  Delivery,
  EventPattern,
  FunctionNode,
  QueueNode,
  RouteNode,
  ServiceNode,
  StreamNode,
  SubscriptionNode,
  TableNode,
  TopicNode,
  Topology,
  Trigger,
} from "./topology.js";
export {
  bucketName,
  buildTopology,
  eventSource,
  filterPolicy,
  rulePattern,
  streamFilter,
  userPoolName,
} from "./topology.js";
