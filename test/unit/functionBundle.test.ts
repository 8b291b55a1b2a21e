import { existsSync, readFileSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, test } from "vitest";
import { FunctionPool } from "../../local/runtime/FunctionPool.js";
import { BUNDLE_ENTRY, FunctionBundles } from "../../local/runtime/functionBundle.js";
import { type FunctionNode, SST_ESM_BANNER } from "../../shared/topology/index.js";

const root = fileURLToPath(new URL("../..", import.meta.url));
const handlers = "test/fixtures/handlers";

function fn(name: string, handler: FunctionNode["handler"], overrides: Partial<FunctionNode> = {}): FunctionNode {
  const node: FunctionNode = {
    name,
    service: "probe",
    handler,
    kind: "route",
    memoryMb: 128,
    timeoutSeconds: 5,
    links: [],
    aliases: {},
  };
  return { ...node, ...overrides };
}

const env = { PATH: process.env.PATH ?? "", SUMMIT_HANDLER_EXPORT: "handler" };
const cleanUp: Array<() => Promise<void> | void> = [];
afterAll(async () => {
  for (const step of cleanUp.reverse()) await step();
});

/** A pool of `node` on the bundles of `functions`, stopped (and the bundles removed) after the file. */
function setUp(functions: FunctionNode[], watch = false) {
  const bundles = new FunctionBundles({ root, functions, watch });
  const pools = functions.map(
    (f) =>
      new FunctionPool({
        fn: f,
        env: { ...env, SUMMIT_HANDLER_EXPORT: f.handler.split(".").pop()! },
        code: bundles.code(f),
      }),
  );
  cleanUp.push(async () => {
    await Promise.all(pools.map((p) => p.stop()));
    await bundles.stop();
  });
  return { bundles, pools };
}

/** A handler file of this test's own under the fixtures, removed after the file. */
function handlerFile(name: string, source: string): string {
  const file = join(root, handlers, `${name}-${process.pid}.ts`);
  writeFileSync(file, source);
  cleanUp.push(() => rmSync(file, { force: true }));
  return `${handlers}/${name}-${process.pid}`;
}

const answer = (text: string) =>
  `export const handler = async () => ({ answer: ${JSON.stringify(text)}, pid: process.pid });\n`;
type Value = { module: string; pid: number; answer: string };
const answered = (outcome: { ok: boolean }) => (outcome as unknown as { value: Value }).value;
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe("a function's sandboxes load its esbuild bundle", () => {
  test("the handler module is the bundle's entry, in the runtime's own directory, one bundle per handler file", async () => {
    const functions = [
      fn("Where", `${handlers}/bundleProbe.where`),
      fn("WhereToo", `${handlers}/bundleProbe.whereToo`),
    ];
    const { bundles, pools } = setUp(functions);
    const other = setUp(functions);
    expect(other.bundles.dir).not.toBe(bundles.dir);
    expect(bundles.dir.startsWith(join(root, "node_modules", ".cache"))).toBe(true);
    const [where, whereToo] = await Promise.all(pools.map((p) => p.invoke({})));
    expect(where!.outcome.ok).toBe(true);
    const module = fileURLToPath(answered(where!.outcome).module);
    // (Node names a module by its real path: `node_modules` may be a link.)
    expect(module.startsWith(`${realpathSync(bundles.dir)}/`)).toBe(true);
    expect(module.endsWith(`/${BUNDLE_ENTRY}`)).toBe(true);
    // Two exports of one file: one bundle, loaded by each function's own sandbox.
    expect(fileURLToPath(answered(whereToo!.outcome).module)).toBe(module);
    expect(answered(whereToo!.outcome).pid).not.toBe(answered(where!.outcome).pid);
    // The cold start is the bundle's import.
    expect(where!.outcome.initMs).toBeGreaterThan(0);
    expect(bundles.code(functions[0]!)).toBe(bundles.code(functions[1]!));
    await Promise.all(pools.map((p) => p.stop()));
    await bundles.stop();
    expect(existsSync(bundles.dir)).toBe(false);
    expect(existsSync(other.bundles.dir)).toBe(true);
  });

  test("nothing is built before a function's first sandbox", async () => {
    const { bundles } = setUp([fn("Where", `${handlers}/bundleProbe.where`)]);
    expect(bundles.code(fn("Where", `${handlers}/bundleProbe.where`)).version).toBe(0);
    expect(existsSync(join(bundles.dir, "test_fixtures_handlers_bundleProbe"))).toBe(false);
  });

  test("with watching on, a changed handler file is rebuilt and the next invocation runs it in a fresh sandbox", async () => {
    const handler = handlerFile("watched", answer("first"));
    const { pools } = setUp([fn("Watched", `${handler}.handler`)], true);
    const pool = pools[0]!;
    const first = await pool.invoke({});
    expect(answered(first.outcome).answer).toBe("first");
    const oldPid = answered(first.outcome).pid;
    writeFileSync(join(root, `${handler}.ts`), answer("second"));
    await expect
      .poll(async () => answered((await pool.invoke({})).outcome).answer, { timeout: 15_000, interval: 200 })
      .toBe("second");
    // The idle sandbox of the older build was stopped, not kept beside the new one.
    await expect.poll(() => alive(oldPid), { timeout: 5000 }).toBe(false);
    expect(pool.size).toBe(1);
  });

  test("a sandbox busy when its build is replaced finishes its invocation on the old code, then retires", async () => {
    const slow = (text: string) =>
      `export const handler = async (e: { sleepMs?: number }) => { await new Promise((r) => setTimeout(r, e.sleepMs ?? 0)); return { answer: ${JSON.stringify(text)}, pid: process.pid }; };\n`;
    const handler = handlerFile("busy", slow("old"));
    const { bundles, pools } = setUp([fn("Busy", `${handler}.handler`, { concurrency: 1 })], true);
    const pool = pools[0]!;
    const code = bundles.code(fn("Busy", `${handler}.handler`));
    await pool.invoke({}); // warm, from build 1
    const running = pool.invoke({ sleepMs: 3000 });
    await new Promise((resolve) => setTimeout(resolve, 200));
    writeFileSync(join(root, `${handler}.ts`), slow("new"));
    await expect.poll(() => code.version, { timeout: 15_000, interval: 100 }).toBe(2);
    const during = await running;
    expect(answered(during.outcome).answer).toBe("old");
    await expect.poll(() => alive(answered(during.outcome).pid), { timeout: 5000 }).toBe(false);
    const after = await pool.invoke({});
    expect(answered(after.outcome).answer).toBe("new");
    expect(answered(after.outcome).pid).not.toBe(answered(during.outcome).pid);
  });

  test("a bundle starts with SST's banner, so require, __filename and __dirname are there as in Lambda", async () => {
    const handler = handlerFile(
      "prologue",
      `export const handler = async () => ({ filename: __filename, dirname: __dirname, join: typeof require("node:path").join });\n`,
    );
    const { bundles, pools } = setUp([fn("Prologue", `${handler}.handler`)]);
    const { outcome } = await pools[0]!.invoke({});
    expect(outcome.ok).toBe(true);
    const value = (outcome as unknown as { value: { filename: string; dirname: string; join: string } }).value;
    expect(value.join).toBe("function");
    expect(value.filename.startsWith(`${realpathSync(bundles.dir)}/`)).toBe(true);
    expect(value.filename.endsWith(`/${BUNDLE_ENTRY}`)).toBe(true);
    expect(`${value.dirname}${BUNDLE_ENTRY}`).toBe(value.filename);
    const build = await bundles.code(fn("Prologue", `${handler}.handler`)).current();
    expect(readFileSync((build as { entry: string }).entry, "utf8").startsWith(SST_ESM_BANNER)).toBe(true);
  });

  test("a bundling error is the invocation's init error, with esbuild's message, for every caller, and a fix clears it", async () => {
    const handler = handlerFile(
      "broken",
      `import { nothing } from "./no-such-module-${process.pid}.js";\nexport const handler = async () => nothing;\n`,
    );
    const { pools, bundles } = setUp([fn("Broken", `${handler}.handler`, { concurrency: 1 })], true);
    const pool = pools[0]!;
    const outcomes = await Promise.all([pool.invoke({}), pool.invoke({}), pool.invoke({})]);
    for (const { outcome } of outcomes) {
      expect(outcome).toMatchObject({
        ok: false,
        kind: "init",
        error: {
          errorType: "Runtime.BundleError",
          errorMessage: expect.stringContaining(`Could not resolve "./no-such-module-${process.pid}.js"`),
        },
      });
      expect((outcome as { error: { errorMessage: string } }).error.errorMessage).toContain(`${handler}.ts`);
    }
    expect(pool.size).toBe(0);
    const code = bundles.code(fn("Broken", `${handler}.handler`));
    writeFileSync(join(root, `${handler}.ts`), answer("fixed"));
    await expect.poll(() => code.version, { timeout: 15_000, interval: 100 }).toBe(2);
    const fixed = await pool.invoke({});
    expect(answered(fixed.outcome).answer).toBe("fixed");
  });

  test("a syntax error without watching is an init error too, never a hang", async () => {
    const handler = handlerFile("syntax", "export const handler = async () => ({ answer: ;\n");
    const { pools } = setUp([fn("Syntax", `${handler}.handler`)]);
    const { outcome } = await pools[0]!.invoke({});
    expect(outcome).toMatchObject({
      ok: false,
      kind: "init",
      error: { errorType: "Runtime.BundleError", errorMessage: expect.stringContaining('Unexpected ";"') },
    });
  });
});
