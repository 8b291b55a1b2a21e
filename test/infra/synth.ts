/**
 * The offline synth harness: runs `sst.config.ts`'s program (or `deploy(topology)` from `stacks/`) under Pulumi's
 * runtime mocks and returns every resource the stacks would create, in a few seconds, with no AWS account.
 *
 * It does what the SST CLI does for `sst deploy`: bundles the program with esbuild together with SST's platform
 * sources (`.sst/platform/src`, from `sst install`), injects `src/shim/run.js` (the `$interpolate`, `$transform`, …
 * globals), sets `sst`, `aws`, `$app`, `$dev`, `$cli`, runs the program through `src/auto/run.ts` inside
 * `pulumi.runtime.runInPulumiStack`, and answers the components' calls back into the CLI (`SST_SERVER`) with a
 * stand-in that really bundles every handler. Each synth runs in its own process: Pulumi's runtime is global.
 * It depends on SST internals, which is why `sst` is pinned exactly.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { build } from "esbuild";
import type { Topology } from "../../shared/topology/index.js";
import { type BuildOutput, startBuildServer } from "./buildServer.js";
import type { SynthRequest, SynthResult } from "./synthTypes.js";

export type { SynthResource, SynthResult } from "./synthTypes.js";

export const ROOT = resolve(import.meta.dirname, "../..");
const PLATFORM = join(ROOT, ".sst", "platform");
// Next to the platform's node_modules, so the bundle's `@pulumi/*` imports resolve to the platform's copies.
const BUNDLE = join(PLATFORM, "summit-synth.mjs");

export interface SynthOptions {
  readonly stage?: string;
  /** `false`: synthesize without the X-Ray transforms (to watch the tracing check fail). */
  readonly tracing?: boolean;
  /** Kill the synth after this long and fail: a hang is a failure, not a slow test. */
  readonly timeoutMs?: number;
  /** The region a multi-region topology's stage deploys into (default its home region). */
  readonly region?: string;
  /** Extra environment for the program (`SUMMIT_DOMAIN`). */
  readonly env?: Record<string, string>;
}

/** The bundle entry, written as the SST CLI writes its own: globals first, then the platform, then the app. */
function entrySource(): string {
  const at = (path: string) => JSON.stringify(path);
  return [
    `import ${at(join(ROOT, "test/infra/synthGlobals.ts"))};`,
    `import * as sst from ${at(join(PLATFORM, "src/components/index.ts"))};`,
    `import * as aws from "@pulumi/aws";`,
    `import { run } from ${at(join(PLATFORM, "src/auto/run.ts"))};`,
    `import config from ${at(join(ROOT, "sst.config.ts"))};`,
    `import { deploy, stageDomain } from ${at(join(ROOT, "stacks/index.ts"))};`,
    `import { synthesize } from ${at(join(ROOT, "test/infra/synthProgram.ts"))};`,
    `await synthesize({ run, config, deploy, stageDomain, sst, aws });`,
  ].join("\n");
}

let bundled: Promise<void> | undefined;

/** Bundles the synth program once per test process. */
export function bundleSynth(): Promise<void> {
  if (!existsSync(join(PLATFORM, "src", "shim", "run.js")))
    throw new Error(`${PLATFORM} is missing: run \`npm run sst:install\` first`);
  bundled ??= build({
    stdin: { contents: entrySource(), resolveDir: ROOT, loader: "ts", sourcefile: "synth-entry.ts" },
    outfile: BUNDLE,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    inject: [join(PLATFORM, "src/shim/run.js")],
    // Packages resolve at run time: the platform's Pulumi from `.sst/platform/node_modules`, the app's from the root.
    packages: "external",
    logLevel: "error",
  }).then(() => undefined);
  return bundled;
}

/** Bundled handlers, shared by every synth of this test process (a handler is bundled once). */
const buildCache = new Map<string, Promise<BuildOutput>>();
let work: string | undefined;

function workDir(): string {
  work ??= mkdtempSync(join(tmpdir(), "summit-synth-"));
  return work;
}

/** Removes the synth's scratch directory (bundles and zips). */
export async function stopSynth(): Promise<void> {
  if (work) rmSync(work, { recursive: true, force: true });
  work = undefined;
  buildCache.clear();
}

/** Event schemas are functions and never read by the stacks: only the contract's names cross the process boundary. */
function serializable(topology: Topology): unknown {
  const events = Object.fromEntries(
    Object.entries(topology.events).map(([type, c]) => [
      type,
      {
        type: c.type,
        domain: c.domain,
        name: c.name,
        version: c.version,
        transport: c.transport,
        attributes: c.attributes,
      },
    ]),
  );
  return { ...topology, events, routes: topology.routes.map(({ definition: _definition, ...route }) => route) };
}

async function runSynth(
  request: Omit<SynthRequest, "root" | "work" | "platform" | "resultFile">,
  options: SynthOptions,
) {
  await bundleSynth();
  const server = await startBuildServer(ROOT, join(workDir(), "builds"), buildCache);
  const { url } = server;
  const dir = mkdtempSync(join(workDir(), "run-"));
  const full: SynthRequest = {
    ...request,
    root: ROOT,
    work: dir,
    platform: PLATFORM,
    resultFile: join(dir, "result.json"),
  };
  const requestFile = join(dir, "request.json");
  writeFileSync(requestFile, JSON.stringify(full));

  // Generous: each test file runs its synths side by side, and a loaded 2-core machine takes minutes for them.
  const timeoutMs = options.timeoutMs ?? 240_000;
  const child = spawn(process.execPath, [BUNDLE], {
    cwd: ROOT,
    env: {
      ...process.env,
      ...options.env,
      SUMMIT_SYNTH_REQUEST: requestFile,
      SST_SERVER: url,
      SST_AWS_REGION: "us-east-1",
      PULUMI_NODEJS_STACK: request.stage,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (chunk) => {
    output += chunk;
  });
  child.stderr.on("data", (chunk) => {
    output += chunk;
  });
  const code = await new Promise<number | string>((done) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      done("timeout");
    }, timeoutMs);
    child.on("exit", (exitCode) => {
      clearTimeout(timer);
      done(exitCode ?? -1);
    });
  });
  await server.close();
  if (code === "timeout") throw new Error(`the synth hung for ${timeoutMs} ms\n${output.slice(-4000)}`);
  if (!existsSync(full.resultFile)) throw new Error(`the synth process failed (exit ${code})\n${output.slice(-4000)}`);
  const result = JSON.parse(readFileSync(full.resultFile, "utf8")) as SynthResult;
  // A handler that does not build fails `sst deploy`; here its Output never resolves, so say which and why.
  const buildErrors = [...server.builds.entries()].flatMap(([id, b]) => b.errors.map((e) => `${id}: ${e}`));
  const builds = Object.fromEntries(
    [...server.builds.entries()].filter(([, b]) => b.errors.length === 0).map(([id, b]) => [id, b.handler]),
  );
  const splitBuilds = [...server.builds.entries()].filter(([, b]) => b.splitting).map(([id]) => id);
  const installs = Object.fromEntries(
    [...server.builds.entries()].flatMap(([id, b]) => (b.install ? [[id, b.install]] : [])),
  );
  const nodejs = Object.fromEntries(server.requests);
  return { ...result, builds, splitBuilds, installs, nodejs, errors: [...buildErrors, ...result.errors] };
}

/**
 * Synthesizes `deploy(topology)` for a stage ("ci" unless told) and returns every resource. Errors thrown by the
 * stacks (directly, in `apply` callbacks, or by a handler that does not build) are in `result.errors`.
 */
export function synthesize(topology: Topology, options: SynthOptions = {}): Promise<SynthResult> {
  const stage = options.stage ?? "ci";
  return runSynth(
    {
      mode: "deploy",
      stage,
      topology: serializable(topology),
      ...(options.tracing === false ? { tracing: false } : {}),
      ...(options.region ? { region: options.region } : {}),
    },
    options,
  );
}

/** Synthesizes the real `sst.config.ts` (its `app()` and `run()` over `services/index.ts`) for a stage. */
export function synthesizeConfig(options: SynthOptions = {}): Promise<SynthResult> {
  return runSynth({ mode: "config", stage: options.stage ?? "ci" }, options);
}
