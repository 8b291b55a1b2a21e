export type { DeliveryNeeds, Transport } from "./deliveryNeeds.js";
export { baselineNeeds, needs, needValues, transports } from "./deliveryNeeds.js";
export type { RoutingDecision, RoutingRule, TransportFor } from "./routingGuide.js";
export { routingGuide, selectTransport } from "./routingGuide.js";
