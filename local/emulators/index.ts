/**
 * Everything the services talk to, on 127.0.0.1 and free ports, started and stopped as one:
 * DynamoDB Local (Java child process), kinesalite, fauxqs behind a gap-filling proxy (SQS, SNS, S3),
 * cognito-local (child process), the EventBridge stand-in and an X-Ray daemon stand-in (UDP collector) with the
 * X-Ray API over what it collected.
 */
import { join, resolve } from "node:path";
import { type EventBridgeStandIn, startEventBridge } from "../eventbridge/index.js";
import { type CognitoEmulator, startCognito } from "./cognito.js";
import { type DynamoDbLocal, startDynamoDbLocal } from "./dynamodb.js";
import { type MessagingEmulator, startMessaging } from "./fauxqs.js";
import { type KinesisEmulator, startKinesis } from "./kinesis.js";
import { startXrayApi, type XrayApi } from "./xrayApi.js";
import { startXrayCollector, type XrayCollector } from "./xrayCollector.js";

export type { XrayApi, XrayApiOptions } from "./xrayApi.js";
export { startXrayApi } from "./xrayApi.js";
export type { XrayCollector, XraySegment } from "./xrayCollector.js";
export { startXrayCollector } from "./xrayCollector.js";

/** The emulated services the runtime itself calls (and `/_health` probes). */
export type EmulatedService = "dynamodb" | "kinesis" | "sqs" | "sns" | "s3" | "cognito" | "eventbridge";
/** Every HTTP endpoint the emulators serve: the services above and the X-Ray API over the collector. */
export type EmulatorEndpoint = EmulatedService | "xray";

export interface EmulatorOptions {
  /** Persist state here (DynamoDB, Kinesis, Cognito); omitted = in memory, clean. SQS, SNS, S3 and EventBridge are always in memory. */
  dataDir?: string;
  /** default us-east-1 */
  region?: string;
  /** default 000000000000 (fauxqs's queue and topic ARNs always use 000000000000) */
  accountId?: string;
  /** receives the emulators' own output, one line at a time */
  log?: (line: string) => void;
}

export interface Emulators {
  /** `http://127.0.0.1:<port>` per service (SQS, SNS and S3 share one; `xray` is the X-Ray API) */
  readonly endpoints: Readonly<Record<EmulatorEndpoint, string>>;
  /**
   * What a process needs to reach them with default SDK clients: AWS_REGION, AWS_DEFAULT_REGION,
   * AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_ENDPOINT_URL_DYNAMODB, AWS_ENDPOINT_URL_DYNAMODB_STREAMS,
   * AWS_ENDPOINT_URL_KINESIS, AWS_ENDPOINT_URL_SQS, AWS_ENDPOINT_URL_SNS, AWS_ENDPOINT_URL_S3,
   * AWS_ENDPOINT_URL_EVENTBRIDGE, AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER, AWS_ENDPOINT_URL_XRAY (the X-Ray API),
   * AWS_XRAY_DAEMON_ADDRESS (where the SDKs send segments).
   */
  readonly env: Readonly<Record<string, string>>;
  readonly xray: XrayCollector;
  /** so the local runtime can attach a Lambda invoker */
  readonly eventBridge: EventBridgeStandIn;
  /** pids of the child processes (java for DynamoDB Local, node for cognito-local) */
  readonly processes: Readonly<{ dynamodb: number; cognito: number }>;
  readonly startedInMs: number;
  /** Stops everything; leaves no process, socket or timer behind. Safe to call twice. */
  stop(): Promise<void>;
}

/** Test credentials: the emulators accept any. */
export const TEST_CREDENTIALS = { AWS_ACCESS_KEY_ID: "test", AWS_SECRET_ACCESS_KEY: "test" } as const;

/** The SDK's `AWS_ENDPOINT_URL_<SERVICE>` names (service id upper-cased, spaces as underscores). */
export const ENDPOINT_ENV: Readonly<Record<EmulatorEndpoint, string>> = {
  dynamodb: "AWS_ENDPOINT_URL_DYNAMODB",
  kinesis: "AWS_ENDPOINT_URL_KINESIS",
  sqs: "AWS_ENDPOINT_URL_SQS",
  sns: "AWS_ENDPOINT_URL_SNS",
  s3: "AWS_ENDPOINT_URL_S3",
  cognito: "AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER",
  eventbridge: "AWS_ENDPOINT_URL_EVENTBRIDGE",
  xray: "AWS_ENDPOINT_URL_XRAY",
};

function envFor(
  endpoints: Record<EmulatorEndpoint, string>,
  region: string,
  xrayAddress: string,
): Record<string, string> {
  const env: Record<string, string> = { AWS_REGION: region, AWS_DEFAULT_REGION: region, ...TEST_CREDENTIALS };
  for (const [service, name] of Object.entries(ENDPOINT_ENV)) env[name] = endpoints[service as EmulatorEndpoint];
  // DynamoDB Local serves the Streams API on the same port.
  env.AWS_ENDPOINT_URL_DYNAMODB_STREAMS = endpoints.dynamodb;
  env.AWS_XRAY_DAEMON_ADDRESS = xrayAddress;
  return env;
}

interface Stoppable {
  stop(): Promise<void>;
}

/**
 * Starts every emulator in parallel and resolves when all answer.
 *
 * @example
 * ```ts
 * const emulators = await startEmulators({ dataDir: ".summit/data" });
 * Object.assign(process.env, emulators.env); // default SDK clients now reach the emulators
 * await new DynamoDBClient({}).send(new ListTablesCommand({}));
 * await emulators.stop();
 * ```
 */
export async function startEmulators(options: EmulatorOptions = {}): Promise<Emulators> {
  const began = performance.now();
  const region = options.region ?? "us-east-1";
  const accountId = options.accountId ?? "000000000000";
  const dataDir = options.dataDir ? resolve(options.dataDir) : undefined;
  const log = options.log;
  const started: Stoppable[] = [];
  const track = <T extends Stoppable>(promise: Promise<T>): Promise<T> =>
    promise.then((value) => {
      started.push(value);
      return value;
    });

  const dynamodb = track(
    startDynamoDbLocal({ ...(dataDir ? { dbPath: join(dataDir, "dynamodb") } : {}), ...(log ? { log } : {}) }),
  );
  const kinesis = track(startKinesis(dataDir ? { path: join(dataDir, "kinesis") } : {}));
  const messaging = track(startMessaging({ region, ...(log ? { log } : {}) }));
  const cognito = track(
    startCognito({ ...(dataDir ? { stateDir: join(dataDir, "cognito") } : {}), ...(log ? { log } : {}) }),
  );
  const xray = track(startXrayCollector());
  const xrayApi = track(xray.then((collector) => startXrayApi(collector)));
  const eventBridge = track(
    messaging.then((m) => startEventBridge({ region, accountId, sqsEndpoint: m.endpoint, snsEndpoint: m.endpoint })),
  );

  const results = await Promise.allSettled([dynamodb, kinesis, messaging, cognito, xray, xrayApi, eventBridge]);
  const failure = results.find((result): result is PromiseRejectedResult => result.status === "rejected");
  if (failure) {
    await Promise.allSettled(started.map((service) => service.stop()));
    throw failure.reason;
  }
  const [ddb, kin, msg, cog, collector, api, events] = (await Promise.all([
    dynamodb,
    kinesis,
    messaging,
    cognito,
    xray,
    xrayApi,
    eventBridge,
  ])) as [
    DynamoDbLocal,
    KinesisEmulator,
    MessagingEmulator,
    CognitoEmulator,
    XrayCollector,
    XrayApi,
    EventBridgeStandIn,
  ];

  const endpoints: Record<EmulatorEndpoint, string> = {
    dynamodb: ddb.endpoint,
    kinesis: kin.endpoint,
    sqs: msg.endpoint,
    sns: msg.endpoint,
    s3: msg.endpoint,
    cognito: cog.endpoint,
    eventbridge: events.endpoint,
    xray: api.endpoint,
  };
  let stopping: Promise<void> | undefined;
  return {
    endpoints,
    env: envFor(endpoints, region, collector.address),
    xray: collector,
    eventBridge: events,
    processes: { dynamodb: ddb.pid, cognito: cog.pid },
    startedInMs: Math.round(performance.now() - began),
    stop() {
      stopping ??= (async () => {
        await events.idle();
        await events.stop(); // it delivers to SQS and SNS: first
        await Promise.all([ddb.stop(), kin.stop(), msg.stop(), cog.stop(), api.stop(), collector.stop()]);
      })();
      return stopping;
    },
  };
}
