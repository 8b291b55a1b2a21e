import { createSocket } from "node:dgram";
import { afterAll, describe, expect, test } from "vitest";
import { FunctionPool } from "../../local/runtime/FunctionPool.js";
import { SegmentSender } from "../../local/runtime/segmentSender.js";
import type { FunctionNode } from "../../shared/topology/index.js";
import { parseTraceHeader } from "../../shared/tracing/traceHeader.js";

const probe = new URL("../fixtures/handlers/sandboxProbe.ts", import.meta.url).pathname;

function fn(overrides: Partial<FunctionNode> = {}): FunctionNode {
  return {
    name: "ProbeEcho",
    service: "probe",
    handler: "test/fixtures/handlers/sandboxProbe.echo",
    kind: "route",
    memoryMb: 128,
    timeoutSeconds: 5,
    links: [],
    aliases: {},
    ...overrides,
  };
}

function env(exportName = "echo"): Record<string, string> {
  return {
    PATH: process.env.PATH ?? "",
    SUMMIT_HANDLER_FILE: probe,
    SUMMIT_HANDLER_EXPORT: exportName,
    AWS_EXECUTION_ENV: "AWS_Lambda_nodejs22.x",
    AWS_LAMBDA_FUNCTION_NAME: "ProbeEcho",
    PROBE_VALUE: "from-the-function-env",
  };
}

const pools: FunctionPool[] = [];
afterAll(async () => {
  await Promise.all(pools.map((p) => p.stop()));
});
const pool = (options: ConstructorParameters<typeof FunctionPool>[0]) => {
  const p = new FunctionPool(options);
  pools.push(p);
  return p;
};

describe("function sandboxes", () => {
  test("run the handler with the function's own environment, a Lambda context and a per-invocation trace header", async () => {
    const p = pool({ fn: fn(), env: env() });
    const caller = "Root=1-67891233-abcdef012345678912345678;Parent=53995c3f42cd8ad8;Sampled=1";
    const { outcome, traceHeader } = await p.invoke({}, caller);
    expect(outcome.ok).toBe(true);
    const value = (outcome as { value: Record<string, unknown> }).value;
    expect(value.custom).toBe("from-the-function-env");
    expect(value.executionEnv).toBe("AWS_Lambda_nodejs22.x");
    expect(value.functionName).toBe("ProbeEcho");
    expect(value.traceHeader).toBe(traceHeader);
    const seen = parseTraceHeader(traceHeader)!;
    expect(seen.root).toBe("1-67891233-abcdef012345678912345678");
    expect(seen.parent).not.toBe("53995c3f42cd8ad8");
    expect(value.remainingMs).toBeGreaterThan(4000);
    expect(value.remainingMs).toBeLessThanOrEqual(5000);
    // A cold start: loading the handler module takes time, and it is part of (so less than) the first invocation,
    // which also waits for the process to start and then runs the handler.
    expect(outcome.initMs).toBeGreaterThan(0);
    expect(outcome.initMs).toBeLessThan(outcome.durationMs);
    // The same sandbox, warm: no init to report.
    const warm = await p.invoke({});
    expect((warm.outcome as { value: { pid: number } }).value.pid).toBe(value.pid);
    expect(warm.outcome.initMs).toBeUndefined();
  });

  test("keep a warm sandbox between invocations and never run two at once in one sandbox", async () => {
    const p = pool({ fn: fn({ concurrency: 2 }), env: env() });
    const results = await Promise.all(Array.from({ length: 6 }, () => p.invoke({ sleepMs: 50 })));
    const values = results.map((r) => (r.outcome as { value: { pid: number; invocations: number } }).value);
    const pids = new Set(values.map((v) => v.pid));
    expect(pids.size).toBe(2);
    expect(p.size).toBe(2);
    for (const pid of pids) {
      const counts = values
        .filter((v) => v.pid === pid)
        .map((v) => v.invocations)
        .sort();
      expect(counts).toEqual([...new Set(counts)]);
    }
  });

  test("report a function error with its type and message, and keep the sandbox", async () => {
    const p = pool({ fn: fn(), env: env() });
    const first = await p.invoke({ fail: "bad thing" });
    expect(first.outcome).toMatchObject({
      ok: false,
      kind: "function",
      error: { errorType: "TypeError", errorMessage: "bad thing" },
    });
    const second = await p.invoke({});
    expect(second.outcome.ok).toBe(true);
    expect(p.size).toBe(1);
  });

  test("time out like Lambda and replace the sandbox", async () => {
    const p = pool({ fn: fn({ timeoutSeconds: 0.3 }), env: env() });
    await p.invoke({});
    const slow = await p.invoke({ sleepMs: 2000 });
    expect(slow.outcome).toMatchObject({
      ok: false,
      kind: "timeout",
      error: { errorMessage: "Task timed out after 0.30 seconds" },
    });
    const after = await p.invoke({});
    expect(after.outcome.ok).toBe(true);
    expect((after.outcome as { value: { invocations: number } }).value.invocations).toBe(1);
  });

  test("report an init error when the export is not a function", async () => {
    const p = pool({ fn: fn(), env: env("notAFunction") });
    const { outcome } = await p.invoke({});
    expect(outcome).toMatchObject({
      ok: false,
      kind: "init",
      error: { errorMessage: expect.stringContaining("notAFunction") },
    });
  });

  test("record a function segment per invocation, parented to the caller", async () => {
    const socket = createSocket("udp4");
    await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", resolve));
    const received: Record<string, unknown>[] = [];
    socket.on("message", (msg) => received.push(JSON.parse(msg.toString().split("\n")[1]!)));
    const sender = new SegmentSender(`127.0.0.1:${socket.address().port}`);
    const p = pool({ fn: fn(), env: env(), segments: sender });
    const caller = "Root=1-67891233-abcdef012345678912345678;Parent=53995c3f42cd8ad8;Sampled=1";
    const { traceHeader } = await p.invoke({ fail: "x" }, caller);
    await expect.poll(() => received.length).toBe(1);
    expect(received[0]).toMatchObject({
      trace_id: "1-67891233-abcdef012345678912345678",
      parent_id: "53995c3f42cd8ad8",
      id: parseTraceHeader(traceHeader)!.parent,
      name: "ProbeEcho",
      origin: "AWS::Lambda::Function",
      fault: true,
    });
    sender.close();
    socket.close();
  });

  test("leave no process behind when stopped", async () => {
    const p = pool({ fn: fn(), env: env() });
    const { outcome } = await p.invoke({});
    const pid = (outcome as { value: { pid: number } }).value.pid;
    await p.stop();
    expect(() => process.kill(pid, 0)).toThrow();
  });
});
