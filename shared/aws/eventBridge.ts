import { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import { captureClient } from "../tracing/index.js";
import { lazyClient } from "./clients.js";

/** The sandbox's eventBridge client: default configuration, so `AWS_ENDPOINT_URL_*` decides where it goes. */
export const eventBridgeClient = (): EventBridgeClient =>
  lazyClient("eventBridge", () => captureClient(new EventBridgeClient({})));
