/**
 * `npm run ops`: the operator's tools, the same SDK calls against a running `npm run dev` and against any deployed
 * stage (credentials and region from the standard AWS configuration):
 *
 * ```sh
 * npm run ops -- dlq list                         # every DLQ: depth, in flight, what it serves
 * npm run ops -- dlq show ForumsPostCreatedDlq    # each message: kind, event, and the reason it is there
 * npm run ops -- dlq redrive UsersPostCreatedDlq  # back to where it failed; refuses a queue that is no DLQ
 * npm run ops -- replay ForumsPostCreatedStream --from TRIM_HORIZON --consumer ForumsPostCreated
 * npm run ops -- replay ForumsPostCreatedStream --from 2026-12-01T10:00:00Z --consumer UsersPostCreated
 * npx sst shell --stage alice -- npm run ops -- dlq list   # the same against a stage
 * ```
 *
 * Locally the resources come from the runtime's `/_dev/resources` (`--url`, default `http://127.0.0.1:${PORT:-4000}`)
 * and the endpoints from `.summit/local.env`, where the runtime's Lambda API stands in for Lambda's Invoke. Inside
 * `sst shell` every resource is linked and functions are found by ListFunctions. `--json` prints JSON.
 */
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { KinesisClient } from "@aws-sdk/client-kinesis";
import { LambdaClient } from "@aws-sdk/client-lambda";
import { SQSClient } from "@aws-sdk/client-sqs";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import { services } from "../services/index.js";
import { resource } from "../shared/config.js";
import { peekDlq } from "../shared/ops/dlqMessages.js";
import { queueDepths, redriveQueue } from "../shared/ops/queues.js";
import { buildTopology, type Topology } from "../shared/topology/index.js";
import { deployedName, invokeFunction } from "./ops/functions.js";
import { replayStream } from "./ops/replay.js";
import { linkStage } from "./ops/stage.js";

const USAGE = `usage: npm run ops -- <command>
  dlq list
  dlq show <dlq> [--max N]
  dlq redrive <dlq>
  replay <stream> --from <TRIM_HORIZON|ISO time> --consumer <function>
options: --url <local runtime URL>  --json`;

export class UsageError extends Error {}

/** `--name value` from the arguments. */
function option(args: readonly string[], name: string): string | undefined {
  const at = args.indexOf(`--${name}`);
  return at >= 0 ? args[at + 1] : undefined;
}

/** The positional arguments (flags and their values left out). */
function positional(args: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i]!.startsWith("--")) {
      if (args[i] !== "--json") i++;
      continue;
    }
    out.push(args[i]!);
  }
  return out;
}

export interface OpsContext {
  readonly topology: Topology;
  readonly sqs: SQSClient;
  readonly kinesis: KinesisClient;
  readonly lambda: LambdaClient;
  /** Narrows ListFunctions to one stage when several share the account (`summit-<stage>`). */
  readonly prefix?: string;
}

/** Clients from the standard AWS configuration (`AWS_ENDPOINT_URL_*` point them at the local emulators). */
export function opsContext(topology: Topology = buildTopology(services)): OpsContext {
  const stage = process.env.SST_STAGE;
  return {
    topology,
    sqs: new SQSClient({}),
    // HTTP/1.1: the local Kinesis emulator refuses the default HTTP/2 handler; Kinesis itself takes both.
    kinesis: new KinesisClient({ requestHandler: new NodeHttpHandler() }),
    lambda: new LambdaClient({}),
    ...(stage ? { prefix: `summit-${stage}` } : {}),
  };
}

const resourcesOf = (names: readonly string[]) => Object.fromEntries(names.map((n) => [n, resource(n)]));

/**
 * Runs one command and returns what it prints (an object for `--json`, lines otherwise). Throws `UsageError` for a
 * command it does not know, and an `Error` with the reason for a refused one (a queue that is no DLQ, …).
 */
export async function runOps(args: readonly string[], context: OpsContext = opsContext()): Promise<unknown> {
  const [command, sub, target] = positional(args);
  const { topology, sqs, lambda } = context;
  const queueNames = topology.queues.map((q) => q.name);
  const invoke = async (fn: string, event: unknown) => {
    const result = await invokeFunction(lambda, await deployedName(lambda, fn, context.prefix), event);
    return { outcome: { ok: result.ok } };
  };

  if (command === "dlq") {
    if (sub !== "list" && sub !== "show" && sub !== "redrive")
      throw new UsageError(`unknown dlq command: ${sub ?? "(none)"}`);
    if (sub !== "list" && !target) throw new UsageError(`dlq ${sub} needs a queue name`);
    await linkStage(queueNames, args);
    const options = { topology, resources: resourcesOf(queueNames), sqs, invoke };
    if (sub === "list") return (await queueDepths(options)).filter((q) => q.role === "dlq");
    if (!target) throw new UsageError(`dlq ${sub} needs a queue name`);
    if (sub === "show") {
      const peek = await peekDlq(options, target, Number(option(args, "max") ?? 50));
      if (!peek.ok) throw new Error(peek.detail);
      return peek.messages;
    }
    const result = await redriveQueue(options, target);
    if (!result.ok) throw new Error(result.detail);
    return { moved: result.moved };
  }

  if (command === "replay") {
    const stream = sub;
    const consumer = option(args, "consumer");
    const fromText = option(args, "from") ?? "TRIM_HORIZON";
    if (!stream || !consumer) throw new UsageError("replay needs a stream and --consumer");
    const subscription = topology.subscriptions.find(
      (s) => s.function === consumer && s.trigger.kind === "kinesis" && s.trigger.stream === stream,
    );
    if (subscription?.trigger.kind !== "kinesis") {
      const readers = topology.subscriptions
        .filter((s) => s.trigger.kind === "kinesis" && s.trigger.stream === stream)
        .map((s) => s.function);
      throw new Error(
        readers.length === 0
          ? `the topology has no stream ${stream} with consumers`
          : `${consumer} does not read ${stream}; its consumers: ${readers.join(", ")}`,
      );
    }
    const from = fromText === "TRIM_HORIZON" ? "TRIM_HORIZON" : new Date(fromText);
    if (from !== "TRIM_HORIZON" && Number.isNaN(from.getTime()))
      throw new UsageError(`--from must be TRIM_HORIZON or a time (ISO 8601), not ${fromText}`);
    await linkStage([stream], args);
    return replayStream({
      kinesis: context.kinesis,
      lambda,
      streamName: resource(stream).name ?? stream,
      functionName: await deployedName(lambda, consumer, context.prefix),
      from,
      batchSize: subscription.trigger.batchSize,
      filterPattern: subscription.trigger.filterPattern,
    });
  }
  throw new UsageError(`unknown command: ${command ?? "(none)"}`);
}

/** Human lines for a command's result. */
function print(result: unknown): void {
  if (Array.isArray(result)) {
    if (result.length === 0) console.log("(none)");
    for (const row of result)
      console.log(
        Object.entries(row as object)
          .map(([k, v]) => `${k}=${String(v)}`)
          .join("  "),
      );
    return;
  }
  console.log(
    Object.entries(result as object)
      .map(([k, v]) => `${k}: ${typeof v === "object" ? JSON.stringify(v) : String(v)}`)
      .join("\n"),
  );
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const args = process.argv.slice(2);
  runOps(args).then(
    (result) => {
      if (args.includes("--json")) console.log(JSON.stringify(result, null, 2));
      else print(result);
    },
    (error: unknown) => {
      console.error(
        error instanceof UsageError
          ? `${error.message}\n${USAGE}`
          : `ops: ${error instanceof Error ? error.message : String(error)}`,
      );
      process.exit(error instanceof UsageError ? 2 : 1);
    },
  );
}
