/**
 * The child side of the synth harness: runs the stacks once under Pulumi's mocks, the way the SST CLI runs
 * `sst.config.ts`, and writes every declared resource to the result file. It is bundled by `synth.ts` together with
 * SST's platform sources and `shim/run.js`, so it never imports SST or Pulumi itself: it receives them.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { createMocks, type Mocks } from "./pulumiMocks.js";
import type { SynthCall, SynthRequest, SynthResource, SynthResult } from "./synthTypes.js";

/** The Pulumi runtime functions the harness uses (the platform's `@pulumi/pulumi`, loaded by path). */
interface PulumiRuntime {
  setMocks(mocks: Mocks, project?: string, stack?: string, preview?: boolean): Promise<void>;
  runInPulumiStack(init: () => Promise<unknown>): Promise<unknown>;
  registerStackTransformation(
    transform: (args: { type: string; name: string; opts: { retainOnDelete?: boolean } }) => undefined,
  ): void;
  waitForRPCs?: () => Promise<void>;
}

interface AppConfig {
  app(input: { stage: string }): unknown;
  run(): Promise<unknown>;
}

/** What the bundle entry hands over: SST's `run`, the app's config and `deploy`, and the `sst`/`aws` namespaces. */
export interface SynthModules {
  readonly run: (program: () => Promise<unknown>) => Promise<Record<string, unknown>>;
  readonly config: AppConfig;
  readonly deploy: (
    topology: unknown,
    options: { stage: string; domain: string; tracing?: boolean; region?: string },
  ) => unknown;
  readonly stageDomain: (stage: string, root?: string) => string;
  readonly sst: unknown;
  readonly aws: unknown;
}

/** Read before the platform's modules evaluate: the globals some of them read at load time. */
export function readRequest(): SynthRequest {
  const file = process.env.SUMMIT_SYNTH_REQUEST;
  if (!file) throw new Error("SUMMIT_SYNTH_REQUEST is not set");
  return JSON.parse(readFileSync(file, "utf8")) as SynthRequest;
}

type Globals = Record<string, unknown>;

/** `$app`, `$dev`, `$cli` as the SST CLI sets them for `sst deploy` (`$cli.paths` is where builds and zips go). */
export function setCliGlobals(request: SynthRequest): void {
  const g = globalThis as unknown as Globals;
  g.$app = { name: "summit", stage: request.stage, removal: "remove", protect: false, providers: {} };
  g.$dev = false;
  g.$cli = {
    command: "deploy",
    dev: false,
    paths: { home: request.work, root: request.root, work: request.work, platform: request.platform },
    state: { version: {} },
  };
}

/** Turns anything Pulumi handed the mocks into plain JSON (assets and archives become their paths). */
function plain(value: unknown, seen = new WeakSet<object>()): unknown {
  if (value === null || typeof value !== "object") return typeof value === "function" ? "[function]" : value;
  if (seen.has(value)) return "[circular]";
  seen.add(value);
  if (Array.isArray(value)) return value.map((v) => plain(v, seen));
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) out[key] = plain(v, seen);
  return out;
}

/** Waits until no resource has been declared for a while: SST declares many inside `apply` callbacks. */
async function settle(resources: SynthResource[], runtime: PulumiRuntime): Promise<void> {
  let count = -1;
  let quiet = 0;
  while (quiet < 3) {
    await runtime.waitForRPCs?.();
    await new Promise((resolve) => setTimeout(resolve, 50));
    if (resources.length === count) quiet++;
    else {
      quiet = 0;
      count = resources.length;
    }
  }
}

export async function synthesize(modules: SynthModules): Promise<void> {
  const started = Date.now();
  const request = readRequest();
  const errors: string[] = [];
  const record = (error: unknown) =>
    errors.push(error instanceof Error ? (error.stack ?? error.message) : String(error));
  // Errors thrown inside Output.apply never reach the program's promise: they surface here.
  process.on("unhandledRejection", record);
  process.on("uncaughtException", record);

  const g = globalThis as unknown as Globals;
  g.sst = modules.sst;
  g.aws = modules.aws;
  const app = (await modules.config.app({ stage: request.stage })) as Record<string, unknown>;
  g.$app = { ...(g.$app as Globals), ...app, stage: request.stage, providers: app.providers ?? {} };

  const requireFromPlatform = createRequire(join(request.platform, "package.json"));
  const pulumi = requireFromPlatform("@pulumi/pulumi") as { runtime: PulumiRuntime };
  const runtime = pulumi.runtime;

  const resources: SynthResource[] = [];
  const calls: SynthCall[] = [];
  const unknownCalls = new Set<string>();
  const retained: string[] = [];
  await runtime.setMocks(createMocks(resources, calls, unknownCalls), "summit", request.stage, false);

  let outputs: Record<string, unknown> = {};
  let written = false;
  // A promise the program waits on that can never settle (an Output whose apply threw) empties the event loop and
  // Node exits: report what was declared and why, instead of nothing.
  process.on("exit", () => {
    if (written) return;
    errors.push("the program never settled: something it waits on failed (see the other errors) or never resolves");
    finish();
  });
  try {
    await runtime.runInPulumiStack(async () => {
      outputs = await modules.run(async () => {
        // Registered after SST's own transformations (inside `run`), so it sees their `retainOnDelete`.
        runtime.registerStackTransformation((args) => {
          if (args.opts.retainOnDelete) retained.push(`${args.type} ${args.name}`);
          return undefined;
        });
        if (request.mode === "config") return (await modules.config.run()) as Record<string, unknown>;
        const domain = modules.stageDomain(request.stage, process.env.SUMMIT_DOMAIN);
        modules.deploy(request.topology, {
          stage: request.stage,
          domain,
          tracing: request.tracing !== false,
          ...(request.region ? { region: request.region } : {}),
        });
        return { domain };
      });
      return outputs;
    });
    await settle(resources, runtime);
  } catch (error) {
    record(error);
  }

  finish();
  process.exit(0);

  function finish(): void {
    if (written) return;
    written = true;
    const $app = g.$app as SynthResult["app"];
    const result: SynthResult = {
      app: { name: $app.name, stage: $app.stage, removal: $app.removal, protect: $app.protect },
      resources: resources.map((r) => ({ ...r, inputs: plain(r.inputs) as Record<string, unknown> })),
      calls: calls.map((c) => ({ token: c.token, inputs: plain(c.inputs) as Record<string, unknown> })),
      unknownCalls: [...unknownCalls],
      retained,
      outputs: plain(outputs) as Record<string, unknown>,
      errors,
      builds: {},
      splitBuilds: [],
      installs: {},
      nodejs: {},
      elapsedMs: Date.now() - started,
    };
    writeFileSync(request.resultFile, JSON.stringify(result));
  }
}
