import { NodeHttpHandler } from "@smithy/node-http-handler";
import { afterAll, inject } from "vitest";
import type { EmulatorEndpoint } from "../../local/emulators/index.js";
import { type XrayReader, xrayReader } from "./xray.js";

/** What the global setup hands to test files. */
export interface ProvidedEmulators {
  /** AWS_* variables (see `Emulators.env`) */
  env: Record<string, string>;
  endpoints: Record<EmulatorEndpoint, string>;
  processes: { dynamodb: number; cognito: number };
}

declare module "vitest" {
  export interface ProvidedContext {
    emulators: ProvidedEmulators;
  }
}

/** Explicit SDK client configuration for one emulator (handlers get the same through `env`). */
export interface ClientConfig {
  region: string;
  endpoint: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  /** only set for Kinesis: kinesalite fails with the SDK's default HTTP/2 handler */
  requestHandler?: NodeHttpHandler;
}

export interface UsedEmulators {
  env: Readonly<Record<string, string>>;
  endpoints: Readonly<Record<EmulatorEndpoint, string>>;
  processes: Readonly<{ dynamodb: number; cognito: number }>;
  /** `new DynamoDBClient(emulators.clientConfig("dynamodb"))` */
  clientConfig(service: EmulatorEndpoint): ClientConfig;
  /** The traces the global setup's X-Ray collector received, read through its X-Ray API. */
  xray: XrayReader;
}

/**
 * Call at the top of a test file: copies the emulators' env into `process.env` now (so default SDK clients in
 * the code under test reach the emulators) and restores the previous values after the file's tests.
 *
 * @example
 * ```ts
 * const emulators = useEmulators();
 * const ddb = new DynamoDBClient(emulators.clientConfig("dynamodb"));
 * ```
 */
export function useEmulators(): UsedEmulators {
  const provided = inject("emulators");
  const saved = new Map<string, string | undefined>();
  for (const [name, value] of Object.entries(provided.env)) {
    saved.set(name, process.env[name]);
    process.env[name] = value;
  }
  afterAll(() => {
    for (const [name, value] of saved) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });
  const region = provided.env.AWS_REGION ?? "us-east-1";
  const credentials = {
    accessKeyId: provided.env.AWS_ACCESS_KEY_ID ?? "test",
    secretAccessKey: provided.env.AWS_SECRET_ACCESS_KEY ?? "test",
  };
  const clientConfig = (service: EmulatorEndpoint): ClientConfig => {
    const config: ClientConfig = { region, endpoint: provided.endpoints[service], credentials };
    if (service === "kinesis") config.requestHandler = new NodeHttpHandler();
    return config;
  };
  return {
    env: provided.env,
    endpoints: provided.endpoints,
    processes: provided.processes,
    clientConfig,
    xray: xrayReader(clientConfig("xray")),
  };
}
