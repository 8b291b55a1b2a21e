/**
 * `npm run dev`: the whole system on this machine. Starts the AWS emulators, provisions the services' resources,
 * runs every function in Lambda-like sandboxes with its event sources, and serves the API on
 * http://127.0.0.1:4000 (`PORT` overrides; `PORT=0` picks a free port). Writes the SDK variables to
 * `.summit/local.env`; stops everything on Ctrl-C / SIGTERM. State persists in `.summit/data` unless `--clean`
 * (or SUMMIT_CLEAN=1). `--verbose` (or SUMMIT_EMULATOR_LOG=1) shows the emulators' own output.
 *
 * @example
 * ```sh
 * npm run dev              # persistent
 * npm run dev -- --clean   # in memory
 * set -a; . .summit/local.env; set +a; aws dynamodb list-tables
 * aws xray get-service-graph --start-time $(($(date +%s)-600)) --end-time $(date +%s)
 * ```
 */
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { services } from "../services/index.js";
import { buildTopology } from "../shared/topology/index.js";
import { type EmulatorEndpoint, type Emulators, startEmulators } from "./emulators/index.js";
import { type Runtime, startRuntime } from "./runtime/index.js";

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const clean = process.argv.includes("--clean") || process.env.SUMMIT_CLEAN === "1";
const verbose = process.argv.includes("--verbose") || process.env.SUMMIT_EMULATOR_LOG === "1";
/** `SUMMIT_DIR` moves the state and `local.env` elsewhere (two runs side by side, as the end-to-end tests do). */
const summitDir = process.env.SUMMIT_DIR ? resolve(process.env.SUMMIT_DIR) : join(root, ".summit");
const dataDir = join(summitDir, "data");
const envFile = join(summitDir, "local.env");
const port = process.env.PORT === undefined ? 4000 : Number(process.env.PORT);

const NAMES: Record<EmulatorEndpoint, string> = {
  dynamodb: "DynamoDB (DynamoDB Local)",
  kinesis: "Kinesis (kinesalite)",
  sqs: "SQS (fauxqs)",
  sns: "SNS (fauxqs)",
  s3: "S3 (fauxqs)",
  cognito: "Cognito (cognito-local)",
  eventbridge: "EventBridge (stand-in)",
  xray: "X-Ray API (over the collector)",
};

const began = performance.now();
let emulators: Emulators | undefined;
let runtime: Runtime | undefined;
let stopping = false;

async function shutdown(signal: NodeJS.Signals | "error", code = 0): Promise<void> {
  if (stopping) {
    console.log(`\n${signal} again: exiting now.`);
    process.exit(1);
  }
  stopping = true;
  console.log(`\n${signal}: stopping the runtime and the emulators…`);
  try {
    await runtime?.stop(); // gateway, event sources, sandboxes
    await emulators?.stop(); // java (DynamoDB Local), cognito-local, the in-process ones
    rmSync(envFile, { force: true }); // its endpoints are gone
    console.log("Stopped.");
    process.exit(code);
  } catch (error) {
    console.error("Stopping failed:", error);
    process.exit(1);
  }
}
process.on("SIGINT", (signal) => void shutdown(signal));
process.on("SIGTERM", (signal) => void shutdown(signal));
process.on("SIGHUP", (signal) => void shutdown(signal));

try {
  emulators = await startEmulators({ ...(clean ? {} : { dataDir }), ...(verbose ? { log: console.log } : {}) });
  if (stopping) await new Promise(() => undefined); // a signal came during start-up: shutdown() exits
  const topology = buildTopology(services);
  runtime = await startRuntime({
    topology,
    emulators,
    port,
    ...(clean ? {} : { dataDir }),
    // Edit and retry: a changed handler is rebuilt, and the next invocation runs it in a fresh sandbox.
    watch: true,
    log: (line) => console.log(line),
  });
} catch (error) {
  console.error("Start-up failed:", error);
  await shutdown("error", 1);
}
const rt = runtime!;
const emu = emulators!;

mkdirSync(summitDir, { recursive: true });
writeFileSync(
  envFile,
  `${Object.entries({ ...emu.env, AWS_ENDPOINT_URL_LAMBDA: rt.lambdaUrl })
    .map(([name, value]) => `${name}=${value}`)
    .join("\n")}\n`,
);

const table = (rows: [string, string][]) => {
  const width = Math.max(0, ...rows.map(([name]) => name.length));
  for (const [name, value] of rows) console.log(`  ${name.padEnd(width)}  ${value}`);
};
console.log(
  `\nSummit up in ${Math.round(performance.now() - began)} ms (emulators ${emu.startedInMs} ms, runtime ${rt.startedInMs} ms; ${
    clean ? "in memory, clean" : `state in ${relative(root, dataDir)}`
  })\n`,
);
if (rt.topology.services.length === 0) console.log("  No services defined yet (services/index.ts is empty).\n");
for (const service of rt.topology.services) {
  console.log(`${service.name}  ${rt.url}${service.basePath}`);
  table(
    rt.topology.routes
      .filter((r) => r.service === service.name)
      .map((r): [string, string] => [`${r.method} ${r.fullPath}${r.auth ? " 🔒" : ""}`, r.function]),
  );
  const consumers = rt.topology.subscriptions.filter((s) => s.service === service.name);
  table(consumers.map((s): [string, string] => [`⇠ ${s.event} (${s.transport})`, s.function]));
  console.log("");
}
console.log("Emulators");
table([
  ...(Object.keys(NAMES) as EmulatorEndpoint[]).map((service): [string, string] => [
    NAMES[service],
    emu.endpoints[service],
  ]),
  ["X-Ray daemon (UDP collector)", `udp://${emu.env.AWS_XRAY_DAEMON_ADDRESS}`],
  ["Lambda (Invoke, ListFunctions)", rt.lambdaUrl],
]);
console.log("\nOperator endpoints");
table([
  ["API (gateway)", rt.url],
  ["Health", `${rt.url}/_health`],
  ["Service map", `${rt.url}/_dev/service-map.html`],
  ["Traces", `${rt.url}/_dev/traces`],
  ["Docs", `${rt.url}/docs`],
  ["Events (AsyncAPI)", `${rt.url}/docs/asyncapi.html`],
  ["Resources", `${rt.url}/_dev/resources`],
]);
console.log(`\nSDK/CLI variables written to ${relative(root, envFile)}. Press Ctrl-C to stop.\n`);
