/**
 * `npm run dev` (interim): starts the local AWS emulators, prints where they are, writes the SDK variables to
 * `.summit/local.env`, and stops everything on Ctrl-C / SIGTERM. State persists in `.summit/data` unless
 * `--clean` or SUMMIT_CLEAN=1. `--verbose` (or SUMMIT_EMULATOR_LOG=1) shows the emulators' own output.
 *
 * @example
 * ```sh
 * npm run dev              # persistent
 * npm run dev -- --clean   # in memory
 * set -a; . .summit/local.env; set +a; aws dynamodb list-tables
 * ```
 */
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { type EmulatedService, startEmulators } from "./emulators/index.js";

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const clean = process.argv.includes("--clean") || process.env.SUMMIT_CLEAN === "1";
const verbose = process.argv.includes("--verbose") || process.env.SUMMIT_EMULATOR_LOG === "1";
const summitDir = join(root, ".summit");
const dataDir = join(summitDir, "data");
const envFile = join(summitDir, "local.env");

const NAMES: Record<EmulatedService, string> = {
  dynamodb: "DynamoDB (DynamoDB Local)",
  kinesis: "Kinesis (kinesalite)",
  sqs: "SQS (fauxqs)",
  sns: "SNS (fauxqs)",
  s3: "S3 (fauxqs)",
  cognito: "Cognito (cognito-local)",
  eventbridge: "EventBridge (stand-in)",
};

const emulators = await startEmulators({ ...(clean ? {} : { dataDir }), ...(verbose ? { log: console.log } : {}) });

mkdirSync(summitDir, { recursive: true });
writeFileSync(
  envFile,
  `${Object.entries(emulators.env)
    .map(([name, value]) => `${name}=${value}`)
    .join("\n")}\n`,
);

const rows: [string, string][] = [
  ...(Object.keys(NAMES) as EmulatedService[]).map((service): [string, string] => [
    NAMES[service],
    emulators.endpoints[service],
  ]),
  ["X-Ray daemon (UDP collector)", `udp://${emulators.env.AWS_XRAY_DAEMON_ADDRESS}`],
];
const width = Math.max(...rows.map(([name]) => name.length));
console.log(
  `\nSummit emulators up in ${emulators.startedInMs} ms (${clean ? "in memory, clean" : `state in ${relative(root, dataDir)}`})\n`,
);
for (const [name, url] of rows) console.log(`  ${name.padEnd(width)}  ${url}`);
console.log(
  `\nSDK/CLI variables written to ${relative(root, envFile)} (AWS_ENDPOINT_URL_<SERVICE>, AWS_REGION, test credentials).`,
);
console.log("Not wired yet: the API gateway and the services (users, products, forums, media) do not run here yet;");
console.log("only the emulators are up. Press Ctrl-C to stop.\n");

let stopping = false;
async function shutdown(signal: NodeJS.Signals): Promise<void> {
  if (stopping) {
    console.log(`\n${signal} again: exiting now.`);
    process.exit(1);
  }
  stopping = true;
  console.log(`\n${signal}: stopping the emulators…`);
  try {
    await emulators.stop();
    rmSync(envFile, { force: true }); // its endpoints are gone
    console.log("Stopped.");
    process.exit(0);
  } catch (error) {
    console.error("Stopping failed:", error);
    process.exit(1);
  }
}
process.on("SIGINT", (signal) => void shutdown(signal));
process.on("SIGTERM", (signal) => void shutdown(signal));
process.on("SIGHUP", (signal) => void shutdown(signal));
