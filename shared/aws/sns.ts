import { SNSClient } from "@aws-sdk/client-sns";
import { captureClient } from "../tracing/index.js";
import { lazyClient } from "./clients.js";

/** The sandbox's sns client: default configuration, so `AWS_ENDPOINT_URL_*` decides where it goes. */
export const snsClient = (): SNSClient => lazyClient("sns", () => captureClient(new SNSClient({})));
