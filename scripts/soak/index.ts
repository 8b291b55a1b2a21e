import { SQSClient } from "@aws-sdk/client-sqs";
import sharp from "sharp";
import { ENDPOINT_ENV } from "../../local/emulators/index.js";
import { services } from "../../services/index.js";
import type { LinkedResource } from "../../shared/config.js";
import { buildTopology } from "../../shared/topology/index.js";
import { draw } from "./mix.js";
import { type Runtime, reconcile } from "./reconcile.js";
import { Recorder } from "./recorder.js";
import { type SoakResult, verdictOf } from "./report.js";
import { World } from "./world.js";

export { draw, MIX, type Operation, ROUTE_CLASSES, type RouteClass } from "./mix.js";
export { balanced, compareCounters, type Reconciliation, reconcile, reconciled } from "./reconcile.js";
export { percentile } from "./recorder.js";
export { formatReport, type SoakResult } from "./report.js";

export interface SoakOptions {
  /** The gateway of a running `npm run dev` (loopback only). */
  readonly url: string;
  readonly requests: number;
  readonly concurrency: number;
  /** A bound on the whole mix, whatever the budget left (default 15 minutes). */
  readonly timeLimitMs?: number;
  /** A bound on the drain (default 2 minutes). */
  readonly drainMs?: number;
  /** Told at every tenth of the budget sent (and at the drain), for a long run to show it is moving. */
  readonly progress?: (line: string) => void;
}

const LOOPBACK = new Set(["127.0.0.1", "localhost", "[::1]", "::1"]);

/**
 * Refuses any gateway that is not on this machine's loopback: a soak only loads what runs here.
 *
 * @example
 * ```ts
 * loopbackUrl("http://127.0.0.1:4000/"); // "http://127.0.0.1:4000"
 * loopbackUrl("http://10.0.0.1:4000"); // throws
 * ```
 */
export function loopbackUrl(url: string): string {
  const parsed = new URL(url);
  if (!LOOPBACK.has(parsed.hostname) && !/^127\.\d+\.\d+\.\d+$/.test(parsed.hostname))
    throw new Error(`the soak only targets loopback, not ${parsed.hostname}`);
  return parsed.origin;
}

/**
 * The runtime's resources and SQS endpoint from its `/_dev/resources` (the variables `.summit/local.env` holds), for
 * the operator tools' `queueDepths` and `peekDlq`.
 *
 * @example
 * ```ts
 * const runtime = await runtimeOf("http://127.0.0.1:4000");
 * ```
 */
export async function runtimeOf(url: string): Promise<Runtime> {
  const res = await fetch(`${url}/_dev/resources`);
  if (!res.ok) throw new Error(`${url}/_dev/resources answered ${res.status}: is \`npm run dev\` running?`);
  const local = (await res.json()) as { env: Record<string, string>; resources: Record<string, LinkedResource> };
  const sqs = new SQSClient({
    endpoint: local.env[ENDPOINT_ENV.sqs],
    region: local.env.AWS_REGION ?? "us-east-1",
    credentials: { accessKeyId: "test", secretAccessKey: "test" },
  });
  return { url, topology: buildTopology(services), resources: local.resources, sqs };
}

/** A small real PNG (sharp): what every presigned PUT of the soak sends. */
export const soakPng = () =>
  sharp({ create: { width: 48, height: 32, channels: 3, background: { r: 40, g: 120, b: 200 } } })
    .png()
    .toBuffer();

/**
 * The soak: seeds accounts, products, forums and threads, sends the mix at `concurrency` until `requests` are sent,
 * then drains and reconciles. Bounded in requests and time; loopback only.
 *
 * @example
 * ```ts
 * const result = await runSoak({ url: "http://127.0.0.1:4000", requests: 300, concurrency: 16 });
 * console.log(formatReport(result).join("\n"));
 * ```
 */
export async function runSoak(options: SoakOptions): Promise<SoakResult> {
  const url = loopbackUrl(options.url);
  const runtime = await runtimeOf(url);
  const recorder = new Recorder(options.requests);
  const world = new World(url, recorder, await soakPng());
  const stopAt = Date.now() + (options.timeLimitMs ?? 15 * 60_000);
  await world.seed();
  const { accounts, hotProducts, forums, threads } = world.truth;
  if (!accounts.length || !hotProducts.length || !forums.size || !threads.size)
    throw new Error(
      `the soak could not seed its accounts, products, forums and threads: ${JSON.stringify(recorder.measurements().unexpected.slice(0, 5))}`,
    );
  let tenth = 0;
  await Promise.all(
    Array.from({ length: options.concurrency }, async () => {
      while (recorder.remaining > 0 && Date.now() < stopAt) {
        await world.run(draw(Math.random()));
        const reached = Math.floor(((recorder.budget - recorder.remaining) * 10) / recorder.budget);
        if (reached > tenth) {
          tenth = reached;
          options.progress?.(`sent ${recorder.budget - recorder.remaining}/${recorder.budget}`);
        }
      }
    }),
  );
  recorder.stop();
  options.progress?.("draining and reconciling");
  const measurements = recorder.measurements();
  const reconciliation = await reconcile(runtime, world.truth, { drainMs: options.drainMs ?? 120_000 });
  return { measurements, reconciliation, truth: world.truth, ok: verdictOf(measurements, reconciliation) };
}
export { Recorder } from "./recorder.js";
export type { Truth } from "./world.js";
