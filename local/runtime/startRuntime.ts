import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Topology } from "../../shared/topology/index.js";
import { devRoutes } from "../devtools/index.js";
import type { Emulators } from "../emulators/index.js";
import { runtimeClients } from "./clients.js";
import { type EventSourceTuning, startEventSources } from "./eventSources/eventSources.js";
import { ShardCheckpoints } from "./eventSources/shardCheckpoints.js";
import { FunctionPool, type Invocation } from "./FunctionPool.js";
import { FunctionBundles } from "./functionBundle.js";
import { functionArn, functionEnvironment } from "./functionEnvironment.js";
import { FunctionLogs } from "./functionLogs.js";
import type { AuthorizerResult } from "./gateway/cognitoAuthorizer.js";
import { localPoolAuthorizer } from "./gateway/cognitoAuthorizer.js";
import { type ExtraRoutes, startGateway } from "./gateway/gateway.js";
import { checkHealth, type HealthReport } from "./health.js";
import { startLambdaApi } from "./lambdaApi.js";
import { type MetricsStore, metricsStore } from "./metricsStore.js";
import { type ProvisionTarget, provision, provisionUserPool, type Resources } from "./provision.js";
import { SegmentSender } from "./segmentSender.js";

const PROJECT_ROOT = dirname(dirname(dirname(fileURLToPath(import.meta.url))));
/** The pool created when routes need a token and no service declares one. */
export const FALLBACK_USER_POOL = "LocalUserPool";

export interface RuntimeOptions {
  readonly topology: Topology;
  /** The running emulators: their endpoints, the X-Ray collector and the EventBridge stand-in. */
  readonly emulators: Pick<Emulators, "endpoints" | "env" | "eventBridge"> & Partial<Pick<Emulators, "xray">>;
  /** Gateway port; default 4000 (`PORT`), 0 picks a free one. */
  readonly port?: number;
  readonly host?: string;
  /** The API Gateway stage name; default `local`. */
  readonly stage?: string;
  /** Physical name prefix of every resource, as SST prefixes with app and stage; default `summit-<stage>`. */
  readonly prefix?: string;
  /** Where handler references resolve from; default the project root. */
  readonly root?: string;
  /** Persist the stream pollers' checkpoints (Kinesis, DynamoDB Streams) here, with the emulators' data; omitted = in memory. */
  readonly dataDir?: string;
  /** Operator routes mounted on the gateway (`/_dev/*`, `/docs`); default the devtools over the X-Ray collector. */
  readonly extraRoutes?: ExtraRoutes;
  readonly tuning?: EventSourceTuning;
  /** Rebuild a function's bundle when its handler's code changes, and retire the sandboxes of the older build. */
  readonly watch?: boolean;
  readonly log?: (line: string) => void;
}

export interface Runtime {
  readonly url: string;
  /** The Lambda API (Invoke, ListFunctions) on this runtime's functions: the value of `AWS_ENDPOINT_URL_LAMBDA`. */
  readonly lambdaUrl: string;
  readonly port: number;
  readonly topology: Topology;
  readonly resources: Resources;
  readonly pools: ReadonlyMap<string, FunctionPool>;
  /** The esbuild bundles the sandboxes load, one per handler file, under this runtime's own directory. */
  readonly bundles: FunctionBundles;
  readonly startedInMs: number;
  /** The functions' EMF metrics, aggregated (what `/_dev/metrics` shows). */
  readonly metrics: MetricsStore;
  /** Invokes a function directly, as `lambda invoke` would (RequestResponse). */
  invoke(fn: string, event: unknown, traceHeader?: string): Promise<Invocation>;
  health(): Promise<HealthReport>;
  /** Stops the gateway, the event sources and every sandbox; safe to call twice. */
  stop(): Promise<void>;
}

/**
 * The whole system on one machine, from the topology alone: provisions the resources on the emulators, gives
 * each function a pool of sandboxes with its Lambda environment and links (each loading its handler's esbuild
 * bundle, built on the function's first sandbox, as the stacks ship it), wires every event source, and
 * serves the services behind the local API Gateway.
 *
 * @example
 * ```ts
 * const emulators = await startEmulators();
 * const runtime = await startRuntime({ topology: buildTopology(services), emulators, port: 0 });
 * await fetch(`${runtime.url}/users/me`);
 * await runtime.stop();
 * await emulators.stop();
 * ```
 */
export async function startRuntime(options: RuntimeOptions): Promise<Runtime> {
  const began = performance.now();
  const { topology, emulators } = options;
  const stage = options.stage ?? "local";
  const region = emulators.env.AWS_REGION ?? "us-east-1";
  const accountId = "000000000000"; // fauxqs's ARNs always use this account
  const log = options.log;
  const target: ProvisionTarget = {
    endpoints: emulators.endpoints,
    region,
    accountId,
    prefix: options.prefix ?? `summit-${stage}`,
  };
  const resources = await provision(topology, target);

  // One authorizer pool for the domain, as the stacks do: the first pool declared (else a local one).
  const needsAuth = topology.routes.some((r) => r.auth);
  let authPoolName = topology.resources.find((r) => r.kind === "userPool")?.name;
  if (needsAuth && !authPoolName) {
    authPoolName = FALLBACK_USER_POOL;
    resources[FALLBACK_USER_POOL] = await provisionUserPool(target, FALLBACK_USER_POOL);
    log?.(`no service declares a user pool: tokens are checked against ${FALLBACK_USER_POOL}`);
  }
  const authorizers = new Map<string, (authorization: string | undefined) => Promise<AuthorizerResult>>();
  const authPool = authPoolName ? resources[authPoolName] : undefined;
  if (authPool && typeof authPool.id === "string" && typeof authPool.clientId === "string")
    authorizers.set("*", localPoolAuthorizer(emulators.endpoints.cognito, authPool.id, [authPool.clientId]));

  const segments = new SegmentSender(emulators.env.AWS_XRAY_DAEMON_ADDRESS ?? "127.0.0.1:2000");
  const root = options.root ?? PROJECT_ROOT;
  // What the functions print as EMF, aggregated as CloudWatch would: `/_dev/metrics` reads it.
  const metrics = metricsStore(topology.services.flatMap((s) => s.metrics));
  const onLog = (name: string, line: string) => {
    metrics.record(line);
    log?.(`[${name}] ${line}`);
  };
  const bundles = new FunctionBundles({ root, functions: topology.functions, watch: options.watch ?? false });
  const pools = new Map<string, FunctionPool>();
  const functionLogs = new FunctionLogs();
  for (const fn of topology.functions) {
    const env = functionEnvironment({ fn, resources, emulatorEnv: emulators.env, root, region, accountId, stage });
    pools.set(
      fn.name,
      new FunctionPool({
        fn,
        env,
        code: bundles.code(fn),
        segments,
        onLog,
        onInvocationLog: (name, line, traceHeader) => functionLogs.add(name, line, traceHeader),
      }),
    );
  }
  const invoke = (fn: string, event: unknown, traceHeader?: string): Promise<Invocation> => {
    const pool = pools.get(fn);
    if (!pool) return Promise.reject(new Error(`no function ${fn}`));
    return pool.invoke(event, traceHeader);
  };

  const clients = runtimeClients(emulators.endpoints, region);
  const extraRoutes =
    options.extraRoutes ??
    (emulators.xray
      ? devRoutes({
          collector: emulators.xray,
          topology,
          local: { env: emulators.env, resources },
          queues: { resources, sqs: clients.sqs, invoke },
          metrics,
          logs: functionLogs,
        })
      : undefined);
  let ready = false;
  const cleanUp: Array<() => Promise<void>> = [];
  const stopAll = async () => {
    bundles.abort();
    for (const step of cleanUp.reverse()) await step().catch((error: unknown) => log?.(`stop: ${String(error)}`));
  };
  cleanUp.push(async () => {
    await Promise.all([...pools.values()].map((p) => p.stop()));
    await bundles.stop();
    segments.close();
    clients.destroy();
  });
  try {
    const sources = await startEventSources({
      topology,
      resources,
      clients,
      invoke,
      setLambdaInvoker: (invoker) => emulators.eventBridge.setLambdaInvoker(invoker),
      sqsEndpoint: emulators.endpoints.sqs,
      region,
      accountId,
      prefix: target.prefix,
      checkpoints: options.dataDir
        ? new ShardCheckpoints(
            join(options.dataDir, "runtime", "stream-checkpoints.json"),
            join(options.dataDir, "runtime", "kinesis-checkpoints.json"), // before the DynamoDB streams joined
          )
        : new ShardCheckpoints(),
      ...(options.tuning ? { tuning: options.tuning } : {}),
      ...(log ? { log } : {}),
    });
    cleanUp.push(async () => {
      emulators.eventBridge.setLambdaInvoker(async (arn) => {
        throw Object.assign(new Error(`the runtime is stopped: ${arn}`), { name: "ResourceNotFoundException" });
      });
      await sources.stop();
    });
    const lambdaApi = await startLambdaApi({
      topology,
      functionArn: (fn) => functionArn(region, accountId, fn),
      invoke,
      invokeAsync: (fn, event, traceHeader) => sources.invokeAsync(fn, event, traceHeader),
    });
    cleanUp.push(() => lambdaApi.stop());
    const health = () =>
      checkHealth({
        clients,
        services: topology.services.map((s) => s.name),
        sources: sources.sources,
        ready: () => ready,
      });
    const gateway = await startGateway(
      {
        topology,
        stage,
        accountId,
        invoke,
        authorizers,
        health,
        ...(extraRoutes ? { extraRoutes } : {}),
        segments,
        ...(log ? { log } : {}),
      },
      options.host ?? "127.0.0.1",
      options.port ?? Number(process.env.PORT ?? 4000),
    );
    cleanUp.push(() => gateway.close());
    ready = true;
    let stopping: Promise<void> | undefined;
    return {
      url: gateway.url,
      lambdaUrl: lambdaApi.url,
      port: gateway.port,
      topology,
      resources,
      pools,
      bundles,
      startedInMs: Math.round(performance.now() - began),
      metrics,
      invoke,
      health,
      stop() {
        stopping ??= stopAll();
        return stopping;
      },
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
