import { KinesisClient } from "@aws-sdk/client-kinesis";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import { captureClient } from "../tracing/index.js";
import { lazyClient } from "./clients.js";

/** The sandbox's Kinesis client. HTTP/1.1: the default HTTP/2 handler fails against the local Kinesis emulator. */
export const kinesisClient = (): KinesisClient =>
  lazyClient("kinesis", () => captureClient(new KinesisClient({ requestHandler: new NodeHttpHandler() })));
