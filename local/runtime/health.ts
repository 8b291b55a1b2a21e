import { ListUserPoolsCommand } from "@aws-sdk/client-cognito-identity-provider";
import { ListTablesCommand } from "@aws-sdk/client-dynamodb";
import { ListEventBusesCommand } from "@aws-sdk/client-eventbridge";
import { ListStreamsCommand } from "@aws-sdk/client-kinesis";
import { ListBucketsCommand } from "@aws-sdk/client-s3";
import { ListTopicsCommand } from "@aws-sdk/client-sns";
import { ListQueuesCommand } from "@aws-sdk/client-sqs";
import type { EmulatedService } from "../emulators/index.js";
import type { RuntimeClients } from "./clients.js";
import type { EventSource } from "./eventSources/types.js";

export interface HealthInput {
  readonly clients: RuntimeClients;
  readonly services: readonly string[];
  readonly sources: ReadonlyArray<{ readonly service: string; readonly source: EventSource }>;
  readonly ready: () => boolean;
}

export interface HealthReport {
  readonly status: number;
  readonly body: {
    status: "ok" | "starting" | "degraded";
    services: Record<string, string>;
    emulators: Record<string, string>;
  };
}

/** `/_health`: each emulator answers a cheap call within a second, and each service's event sources are polling. */
export async function checkHealth(input: HealthInput): Promise<HealthReport> {
  const { clients } = input;
  const probes: Record<EmulatedService, () => Promise<unknown>> = {
    dynamodb: () => clients.dynamodb.send(new ListTablesCommand({ Limit: 1 })),
    kinesis: () => clients.kinesis.send(new ListStreamsCommand({ Limit: 1 })),
    sqs: () => clients.sqs.send(new ListQueuesCommand({ MaxResults: 1 })),
    sns: () => clients.sns.send(new ListTopicsCommand({})),
    s3: () => clients.s3.send(new ListBucketsCommand({})),
    cognito: () => clients.cognito.send(new ListUserPoolsCommand({ MaxResults: 1 })),
    eventbridge: () => clients.events.send(new ListEventBusesCommand({ Limit: 1 })),
  };
  const emulators: Record<string, string> = {};
  await Promise.all(
    Object.entries(probes).map(async ([name, probe]) => {
      const timeout = new Promise<never>((_, reject) => {
        setTimeout(() => reject(new Error("no answer within 1 s")), 1_000).unref();
      });
      try {
        await Promise.race([probe(), timeout]);
        emulators[name] = "ok";
      } catch (error) {
        emulators[name] = `down: ${error instanceof Error ? error.message : String(error)}`;
      }
    }),
  );
  const ready = input.ready();
  const services: Record<string, string> = {};
  for (const service of input.services) {
    const broken = input.sources.filter((s) => s.service === service && !s.source.healthy).map((s) => s.source.name);
    services[service] = !ready ? "starting" : broken.length > 0 ? `degraded: ${broken.join(", ")}` : "ok";
  }
  const ok = ready && [...Object.values(emulators), ...Object.values(services)].every((v) => v === "ok");
  return {
    status: ok ? 200 : 503,
    body: { status: ok ? "ok" : ready ? "degraded" : "starting", services, emulators },
  };
}
