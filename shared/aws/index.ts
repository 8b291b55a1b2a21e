export type { AwsClients } from "./clients.js";
export { awsClient, resetAwsClients, useAwsClients } from "./clients.js";
