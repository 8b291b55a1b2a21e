import { NodeHttpHandler } from "@smithy/node-http-handler";
import { afterAll, inject } from "vitest";
import type { EmulatedService, XraySegment } from "../../local/emulators/index.js";

/** What the global setup hands to test files. */
export interface ProvidedEmulators {
  /** AWS_* variables (see `Emulators.env`) plus SUMMIT_XRAY_QUERY_URL */
  env: Record<string, string>;
  endpoints: Record<EmulatedService, string>;
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
  endpoints: Readonly<Record<EmulatedService, string>>;
  processes: Readonly<{ dynamodb: number; cognito: number }>;
  /** `new DynamoDBClient(emulators.clientConfig("dynamodb"))` */
  clientConfig(service: EmulatedService): ClientConfig;
  /** The segments the global setup's X-Ray collector received (optionally one trace's). */
  xraySegments(traceId?: string): Promise<XraySegment[]>;
  xrayTraceIds(): Promise<string[]>;
  clearXray(): Promise<void>;
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
  const xrayUrl = provided.env.SUMMIT_XRAY_QUERY_URL ?? "";
  const region = provided.env.AWS_REGION ?? "us-east-1";
  const credentials = {
    accessKeyId: provided.env.AWS_ACCESS_KEY_ID ?? "test",
    secretAccessKey: provided.env.AWS_SECRET_ACCESS_KEY ?? "test",
  };
  return {
    env: provided.env,
    endpoints: provided.endpoints,
    processes: provided.processes,
    clientConfig(service) {
      const config: ClientConfig = { region, endpoint: provided.endpoints[service], credentials };
      if (service === "kinesis") config.requestHandler = new NodeHttpHandler();
      return config;
    },
    async xraySegments(traceId) {
      const query = traceId ? `?traceId=${encodeURIComponent(traceId)}` : "";
      const body = (await (await fetch(`${xrayUrl}/segments${query}`)).json()) as { segments: XraySegment[] };
      return body.segments;
    },
    async xrayTraceIds() {
      return ((await (await fetch(`${xrayUrl}/traces`)).json()) as { traceIds: string[] }).traceIds;
    },
    async clearXray() {
      await fetch(`${xrayUrl}/segments`, { method: "DELETE" });
    },
  };
}
