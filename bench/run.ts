/**
 * `npm run bench`: every figure is a ratio measured side by side in this one run, because these machines are
 * shared and noisy; absolute times are printed for context only.
 *
 * 1. The HTTP middleware chain's overhead per warm invocation, against a bare handler on the same event.
 * 2. A representative handler's bundle size and cold import time, against a floor bundle that holds only the
 *    same AWS SDK clients.
 * 3. The same figures for every function of the four services (their handler files from the topology), each against
 *    its own floor (`bench/floors.ts`: only the SDK clients that function loads at init), in the same interleaved
 *    rounds.
 * 4. The products read path, warm: `GET /products/{productId}` against a bare handler doing the same read, both on
 *    DynamoDB Local.
 * 5. Posts one forum thread takes a second with its order kept, against the same writers with no order.
 * 6. The local hops, on the real local runtime: the gateway against the same sandbox invoked directly, publish to
 *    consumer start per transport, one Kinesis shard's records a second with order per key kept, and warm HTTP
 *    requests a second against direct invocations (`bench/hops.ts`). A broken order fails the run (exit 1).
 */
import { join } from "node:path";
import type { APIGatewayProxyEvent, Context } from "aws-lambda";
import { Bench } from "tinybench";
import * as v from "valibot";
import { httpHandler } from "../shared/http/index.js";
import { FUNCTION_RUNTIME, functionBuild } from "../shared/topology/index.js";
import { budgetRow, INIT_BUDGET } from "./budget.js";
import { bundle, chunkOf, outputPath, staticClosure } from "./bundle.js";
import { coldImportMedians } from "./coldImport.js";
import { floorsFor } from "./floors.js";
import { serviceBundles } from "./functions.js";
import { localHops } from "./hops.js";
import { productReadLatency } from "./productRead.js";
import { threadPostRate } from "./threadPosts.js";

process.env.POWERTOOLS_LOG_LEVEL ??= "WARN";
const root = join(import.meta.dirname, "..");

function event(): APIGatewayProxyEvent {
  return {
    resource: "/users/signup",
    path: "/users/signup",
    httpMethod: "POST",
    headers: { "content-type": "application/json", "x-request-id": "bench-1" },
    multiValueHeaders: {},
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: null,
    stageVariables: null,
    body: JSON.stringify({ email: "ada@example.com", password: "correct horse", displayName: "Ada" }),
    isBase64Encoded: false,
    requestContext: {
      requestId: "r-1",
      stage: "local",
      path: "/local/users/signup",
    } as APIGatewayProxyEvent["requestContext"],
  };
}

const context = {
  awsRequestId: "bench",
  functionName: "bench",
  getRemainingTimeInMillis: () => 10_000,
} as unknown as Context;

async function middlewareOverhead() {
  const body = v.object({
    email: v.pipe(v.string(), v.email()),
    password: v.pipe(v.string(), v.minLength(8)),
    displayName: v.pipe(v.string(), v.minLength(1), v.maxLength(64)),
  });
  const bare = async (e: APIGatewayProxyEvent) => {
    const parsed = JSON.parse(e.body ?? "{}") as Record<string, unknown>;
    return { statusCode: 201, headers: { "content-type": "application/json" }, body: JSON.stringify(parsed) };
  };
  const wrapped = httpHandler({ body, successStatus: 201, handler: async ({ body: b }) => b });
  const bench = new Bench({ time: 1500, warmupTime: 300 });
  bench.add("bare handler", () => bare(event())).add("httpHandler stack", () => wrapped(event(), context));
  await bench.run();
  const [bareTask, wrappedTask] = bench.tasks;
  const bareNs = (bareTask!.result as { latency: { p50: number } }).latency.p50 * 1e6;
  const wrappedNs = (wrappedTask!.result as { latency: { p50: number } }).latency.p50 * 1e6;
  return { bareUs: bareNs / 1000, wrappedUs: wrappedNs / 1000, ratio: wrappedNs / bareNs };
}

async function bundleAndColdStart(rounds: number) {
  const [floor, handler, ...perService] = await Promise.all([
    bundle(join(root, "bench/floor.ts"), "floor"),
    bundle(join(root, "bench/handlers/representative.ts"), "representative"),
    ...MEASURED_SERVICES.map((service) => serviceBundles(root, service)),
  ]);
  const functions = perService.flat();
  const floors = await floorsFor(
    root,
    functions.map((f) => f.bundle),
  );
  const ownFloors = [...new Set(floors.values())];
  // What the first request adds: the bus transport, loaded on the first publish.
  const busChunk = chunkOf(handler.metafile, "shared/publish/toEventBridge.ts");
  if (!busChunk) throw new Error("the bus transport is not in a chunk of its own");
  const firstRequest = staticClosure(handler.metafile, [...handler.entryOutputs, busChunk]);
  const firstRequestBytes = firstRequest.reduce((sum, f) => sum + handler.metafile.outputs[f]!.bytes, 0);
  // One interleaved run for all: the floor, the representative handler and each users bundle (once per file).
  const ms = coldImportMedians(
    {
      floor: [floor.entry],
      entry: [handler.entry],
      full: [handler.entry, outputPath(busChunk)],
      ...Object.fromEntries(functions.map((u) => [u.file, [u.bundle.entry]])),
      ...Object.fromEntries(ownFloors.map((f) => [f.bundle.entry, [f.bundle.entry]])),
    },
    rounds,
  );
  return {
    floor,
    handler,
    firstRequestBytes,
    floorMs: ms.floor!,
    entryMs: ms.entry!,
    fullMs: ms.full!,
    functions: functions.map((u) => {
      const own = floors.get(u.bundle)!;
      return { ...u, coldMs: ms[u.file]!, floor: own, floorMs: ms[own.bundle.entry]! };
    }),
  };
}

/** The services whose functions the bench measures: those with routes so far. */
const MEASURED_SERVICES = ["users", "products", "forums", "media"];

const kb = (bytes: number) => `${(bytes / 1024).toFixed(0)} KB`;
const rounds = Number(process.env.BENCH_ROUNDS ?? 15);

const overhead = await middlewareOverhead();
const cold = await bundleAndColdStart(rounds);
const read = await productReadLatency();
const posts = await threadPostRate();
const hops = await localHops();

console.log("\nHTTP middleware chain, warm invocation (median of tinybench samples)");
console.log(`  bare handler        ${overhead.bareUs.toFixed(1)} µs`);
console.log(`  httpHandler stack   ${overhead.wrappedUs.toFixed(1)} µs`);
console.log(`  ratio               ${overhead.ratio.toFixed(2)}× (stack / bare)`);
const build = functionBuild();
console.log(
  `\nRepresentative handler vs floor (esbuild, ${build.format.toUpperCase()}, ${build.minify ? "minified" : "unminified"}, ${build.target} for ${FUNCTION_RUNTIME}; median of ${rounds} fresh processes)`,
);
console.log(
  `  floor bundle                    ${kb(cold.floor.totalBytes)}  cold import ${cold.floorMs.toFixed(1)} ms`,
);
console.log(
  `  handler at init                 ${kb(cold.handler.entryBytes)}  cold import ${cold.entryMs.toFixed(1)} ms`,
);
console.log(
  `  handler + bus transport         ${kb(cold.firstRequestBytes)}  cold import ${cold.fullMs.toFixed(1)} ms  (what its first request loads)`,
);
console.log(
  `  ratio init / floor              size ${(cold.handler.entryBytes / cold.floor.totalBytes).toFixed(2)}×  cold import ${(cold.entryMs / cold.floorMs).toFixed(2)}×`,
);
console.log(
  `  ratio first request / floor     size ${(cold.firstRequestBytes / cold.floor.totalBytes).toFixed(2)}×  cold import ${(cold.fullMs / cold.floorMs).toFixed(2)}×`,
);

console.log(
  `\nEach function vs its own floor: a bundle of only the AWS SDK clients that function loads at init (same ${rounds} rounds; size budget ${INIT_BUDGET}×, checked in npm test)`,
);
const columns = (...cells: string[]) =>
  `  ${cells[0]!.padEnd(26)}${cells
    .slice(1, -1)
    .map((c) => c.padStart(12))
    .join("")}  ${cells.at(-1)}`;
console.log(columns("function", "init", "floor", "size ×", "budget", "cold import", "import ×", "floor's clients"));
for (const u of cold.functions) {
  const size = budgetRow(u.fn.name, u.bundle, u.floor.bundle);
  console.log(
    columns(
      u.fn.name,
      kb(u.bundle.entryBytes),
      kb(u.floor.bundle.entryBytes),
      `${size.ratio.toFixed(2)}×`,
      size.over ? "OVER" : "ok",
      `${u.coldMs.toFixed(1)} ms`,
      `${(u.coldMs / u.floorMs).toFixed(2)}×`,
      u.floor.clients.map((c) => c.className.replace(/Client$/, "")).join(" + "),
    ),
  );
}

console.log("\nProducts read path, warm (median of tinybench samples, DynamoDB Local on this machine)");
console.log(`  bare handler, table read every call   ${read.bareUs.toFixed(1)} µs`);
console.log(
  `  GET /products/{productId}             ${read.handlerUs.toFixed(1)} µs  (middleware, origin cache, etag)`,
);
console.log(`  ratio                                 ${read.ratio.toFixed(2)}× (handler / bare)`);

console.log(
  `\nOne forum thread, ${posts.writers} writers for ${posts.seconds} s (DynamoDB Local on this machine; order checked after)`,
);
console.log(`  posts in order (seq under a condition, with the outbox)   ${posts.orderedPerSecond.toFixed(0)} /s`);
console.log(`  puts with no order, same writers                        ${posts.unorderedPerSecond.toFixed(0)} /s`);
console.log(
  `  ratio                                                   ${posts.ratio.toFixed(2)}× (ordered / unordered)`,
);
console.log(`  refused with 409 (busier than one writer at a time)      ${posts.refused}`);

const ms = (value: number) => `${value < 10 ? value.toFixed(2) : value.toFixed(0)} ms`;
console.log(
  `\nThe gateway against the same sandbox invoked directly: ${hops.route}, warm, ${hops.gateway.pairs} interleaved pairs`,
);
console.log(
  `  through the gateway (HTTP)     p50 ${ms(hops.gateway.http.p50Ms).padStart(8)}   p99 ${ms(hops.gateway.http.p99Ms).padStart(8)}`,
);
console.log(
  `  invoked directly               p50 ${ms(hops.gateway.direct.p50Ms).padStart(8)}   p99 ${ms(hops.gateway.direct.p99Ms).padStart(8)}`,
);
console.log(
  `  ratio                          p50 ${`${(hops.gateway.http.p50Ms / hops.gateway.direct.p50Ms).toFixed(2)}×`.padStart(8)}   p99 ${`${(hops.gateway.http.p99Ms / hops.gateway.direct.p99Ms).toFixed(2)}×`.padStart(8)}  (gateway / direct)`,
);

console.log(
  `\nPublish to consumer start, per transport (shared/publish; ${hops.latencies.events} events each, one at a time, transports interleaved; Date.now() in the consumer, whole ms)`,
);
const hopRow = (...cells: string[]) =>
  `  ${cells[0]!.padEnd(36)}${cells[1]!.padStart(9)}${cells[2]!.padStart(9)}   ${cells[3]}`;
console.log(hopRow("transport", "p50", "p99", "what carries it locally"));
for (const t of hops.latencies.transports) console.log(hopRow(t.transport, `${t.p50Ms} ms`, `${t.p99Ms} ms`, t.via));

console.log(
  `\nOne Kinesis shard: ${hops.shard.records} records over ${hops.shard.keys} keys, from the first put to the last consumer start (batches of up to ${hops.shard.batchSize})`,
);
console.log(`  records a second       ${hops.shard.perSecond.toFixed(0)} /s  (${hops.shard.seconds.toFixed(2)} s)`);
console.log(`  order per key          ${hops.shard.orderKept ? "kept" : `BROKEN: ${hops.shard.broken}`}`);

console.log(
  `\nWarm HTTP requests a second: ${hops.route} (${hops.rates.requests} requests per way and concurrency, ${hops.rates.sandboxes} sandboxes)`,
);
const rateRow = (...cells: string[]) =>
  `  ${cells[0]!.padEnd(14)}${cells
    .slice(1)
    .map((c) => c.padStart(12))
    .join("")}`;
console.log(rateRow("concurrency", "HTTP", "direct", "ratio"));
for (const r of hops.rates.byConcurrency)
  console.log(
    `${rateRow(String(r.concurrency), `${r.httpPerSecond.toFixed(0)} /s`, `${r.directPerSecond.toFixed(0)} /s`, `${r.ratio.toFixed(2)}×`)}  (HTTP / direct)`,
  );
if (!hops.shard.orderKept) process.exitCode = 1;
