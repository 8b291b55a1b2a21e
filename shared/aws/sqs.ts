import { SQSClient } from "@aws-sdk/client-sqs";
import { captureClient } from "../tracing/index.js";
import { lazyClient } from "./clients.js";

/** The sandbox's sqs client: default configuration, so `AWS_ENDPOINT_URL_*` decides where it goes. */
export const sqsClient = (): SQSClient => lazyClient("sqs", () => captureClient(new SQSClient({})));
