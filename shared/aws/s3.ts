import { S3Client } from "@aws-sdk/client-s3";
import { captureClient } from "../tracing/index.js";
import { lazyClient } from "./clients.js";

/** The sandbox's s3 client: default configuration, so `AWS_ENDPOINT_URL_*` decides where it goes. */
export const s3Client = (): S3Client => lazyClient("s3", () => captureClient(new S3Client({})));
