// Import a client from its own module (`shared/aws/sqs.js`, …) in handler code: this face would bundle them all.
export type { AwsClients } from "./clients.js";
export { lazyClient, resetAwsClients, useAwsClients } from "./clients.js";
