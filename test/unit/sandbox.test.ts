import { createSocket } from "node:dgram";
import { afterAll, describe, expect, test } from "vitest";
import { FunctionPool } from "../../local/runtime/FunctionPool.js";
import { FunctionLogs, parseLogLine } from "../../local/runtime/functionLogs.js";
import { type AttributedLine, InvocationLines } from "../../local/runtime/invocationLines.js";
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

describe("what an invocation's segment shows", () => {
  const collect = async () => {
    const socket = createSocket("udp4");
    await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", resolve));
    const received: Record<string, unknown>[] = [];
    socket.on("message", (msg) => received.push(JSON.parse(msg.toString().split("\n")[1]!)));
    const sender = new SegmentSender(`127.0.0.1:${socket.address().port}`);
    return {
      received,
      sender,
      close: () => {
        sender.close();
        socket.close();
      },
    };
  };

  test("the cold start is an Initialization subsegment inside the first invocation's segment, and only there", async () => {
    const { received, sender, close } = await collect();
    const p = pool({ fn: fn(), env: env(), segments: sender });
    const cold = await p.invoke({});
    await p.invoke({});
    await expect.poll(() => received.length).toBe(2);
    type Sent = { start_time: number; end_time: number; subsegments?: Record<string, unknown>[] };
    const [first, second] = received as unknown as [Sent, Sent];
    expect(first.subsegments).toHaveLength(1);
    const init = first.subsegments![0] as { id: string; name: string; start_time: number; end_time: number };
    expect(init).toMatchObject({ name: "Initialization", id: expect.stringMatching(/^[0-9a-f]{16}$/) });
    expect(init.start_time).toBeGreaterThanOrEqual(first.start_time);
    expect(init.end_time).toBeGreaterThan(init.start_time);
    expect(init.end_time).toBeLessThanOrEqual(first.end_time);
    // It spans the sandbox's init: at least the handler module's load the sandbox measured.
    expect((init.end_time - init.start_time) * 1000).toBeGreaterThanOrEqual(cold.outcome.initMs! - 1);
    expect(second.subsegments).toBeUndefined();
    close();
  });

  test("a failed invocation carries its cause in X-Ray's shape, with the stack", async () => {
    const { received, sender, close } = await collect();
    const p = pool({ fn: fn(), env: env(), segments: sender });
    await p.invoke({ fail: "bad thing" });
    await p.invoke({});
    await expect.poll(() => received.length).toBe(2);
    const cause = received[0]!.cause as { exceptions: Record<string, unknown>[] };
    expect(cause.exceptions).toHaveLength(1);
    expect(cause.exceptions[0]).toMatchObject({
      id: expect.stringMatching(/^[0-9a-f]{16}$/),
      type: "TypeError",
      message: "bad thing",
    });
    const stack = cause.exceptions[0]!.stack as { path: string; line: number; label?: string }[];
    expect(stack[0]).toMatchObject({ path: expect.stringContaining("sandboxProbe.ts"), line: expect.any(Number) });
    expect(received[0]).toMatchObject({ fault: true });
    expect(received[1]!.cause).toBeUndefined();
    expect(received[1]!.fault).toBeUndefined();
    close();
  });

  test("a timeout's cause names it", async () => {
    const { received, sender, close } = await collect();
    const p = pool({ fn: fn({ timeoutSeconds: 0.3 }), env: env(), segments: sender });
    await p.invoke({ sleepMs: 2000 });
    await expect.poll(() => received.length).toBe(1);
    expect(received[0]!.cause).toMatchObject({
      exceptions: [{ type: "Sandbox.Timedout", message: "Task timed out after 0.30 seconds" }],
    });
    close();
  });
});

describe("function log lines", () => {
  test("each line goes to the invocation that wrote it, by its trace header; init and late lines to none", async () => {
    const attributed: { fn: string; line: string; header: string }[] = [];
    const all: string[] = [];
    const p = pool({
      fn: fn(),
      env: env(),
      onLog: (_fn, line) => all.push(line),
      onInvocationLog: (name, line, header) => attributed.push({ fn: name, line, header }),
    });
    const a = await p.invoke({ log: ["a1", "a2"], errorLog: "a-err", lateLog: "a-late" });
    await new Promise((resolve) => setTimeout(resolve, 150)); // the late line is written before the next invocation
    const b = await p.invoke({ log: ["b1"] });
    await expect.poll(() => attributed.length).toBe(4);
    await expect.poll(() => all.includes("b1")).toBe(true);
    expect(attributed).toEqual([
      { fn: "ProbeEcho", line: "a1", header: a.traceHeader },
      { fn: "ProbeEcho", line: "a2", header: a.traceHeader },
      { fn: "ProbeEcho", line: "a-err", header: a.traceHeader },
      { fn: "ProbeEcho", line: "b1", header: b.traceHeader },
    ]);
    expect(all).toEqual(expect.arrayContaining(["probe loaded", "a1", "a2", "a-err", "a-late", "b1"]));
  });

  test("concurrent invocations in several sandboxes keep their own lines", async () => {
    const attributed = new Map<string, string[]>();
    const p = pool({
      fn: fn({ concurrency: 3 }),
      env: env(),
      onInvocationLog: (_fn, line, header) => attributed.set(header, [...(attributed.get(header) ?? []), line]),
    });
    const runs = await Promise.all(
      Array.from({ length: 9 }, (_, i) =>
        p.invoke({ log: Array.from({ length: 20 }, (_, k) => `run${i}-${k}`), sleepMs: 10 }),
      ),
    );
    await expect.poll(() => [...attributed.values()].flat().length).toBe(180);
    for (const [i, run] of runs.entries())
      expect(attributed.get(run.traceHeader)).toEqual(Array.from({ length: 20 }, (_, k) => `run${i}-${k}`));
  });
});

describe("FunctionLogs", () => {
  const header = "Root=1-67891233-abcdef012345678912345678;Parent=53995c3f42cd8ad8;Sampled=1";

  test("keeps a Powertools JSON line as level, message, time and fields, under the invocation's trace", () => {
    const logs = new FunctionLogs({ now: () => 5 });
    logs.add(
      "UsersSignup",
      JSON.stringify({ level: "INFO", message: "signed up", timestamp: "2026-01-02T03:04:05.006Z", userId: "u-1" }),
      header,
    );
    logs.add("UsersSignup", "a plain line", header);
    expect(logs.forTrace("1-67891233-abcdef012345678912345678")).toEqual([
      {
        traceId: "1-67891233-abcdef012345678912345678",
        segmentId: "53995c3f42cd8ad8",
        function: "UsersSignup",
        at: Date.parse("2026-01-02T03:04:05.006Z"),
        level: "INFO",
        message: "signed up",
        fields: { userId: "u-1" },
      },
      {
        traceId: "1-67891233-abcdef012345678912345678",
        segmentId: "53995c3f42cd8ad8",
        function: "UsersSignup",
        at: 5,
        message: "a plain line",
      },
    ]);
    expect(logs.forTrace("1-00000000-000000000000000000000000")).toEqual([]);
  });

  test("a JSON line that is not an object, or has no message, is kept whole as the message", () => {
    expect(parseLogLine("[1,2]", 7)).toEqual({ at: 7, message: "[1,2]" });
    expect(parseLogLine("{not json", 7)).toEqual({ at: 7, message: "{not json" });
    expect(parseLogLine('{"level":"WARN","n":1}', 7)).toEqual({
      at: 7,
      level: "WARN",
      message: '{"level":"WARN","n":1}',
      fields: { n: 1 },
    });
  });

  test("is bounded (the oldest go first) and drops a line whose header names no function segment", () => {
    const logs = new FunctionLogs({ maxLines: 2 });
    for (const n of [1, 2, 3]) logs.add("F", `line ${n}`, header);
    logs.add("F", "no parent", "Root=1-67891233-abcdef012345678912345678");
    logs.add("F", "no header", "");
    expect(logs.forTrace("1-67891233-abcdef012345678912345678").map((l) => l.message)).toEqual(["line 2", "line 3"]);
  });
});

describe("InvocationLines", () => {
  const spans = (stdout: [number, number], stderr: [number, number] = [0, 0]) => ({ stdout, stderr });

  test("places lines by their numbers, whether they arrive before or after the result, or during the next", () => {
    const out: AttributedLine[] = [];
    const lines = new InvocationLines((l) => out.push(l));
    lines.line("stdout", "init"); // line 0, before any invocation
    lines.start("A");
    lines.line("stdout", "a1"); // line 1
    lines.end(spans([1, 3])); // A wrote lines 1 and 2; line 2 is still in the pipe
    lines.start("B");
    lines.line("stdout", "a2"); // line 2: A's, read while B runs
    lines.line("stdout", "stray"); // line 3: written between A and B
    lines.line("stdout", "b1"); // line 4
    lines.line("stderr", "b-err"); // stderr line 0
    lines.end(spans([4, 5], [0, 1]));
    lines.line("stdout", "late"); // line 5: after B returned
    expect(out).toEqual([
      { line: "init", stream: "stdout" },
      { line: "a1", stream: "stdout", invocation: "A" },
      { line: "a2", stream: "stdout", invocation: "A" },
      { line: "stray", stream: "stdout" },
      { line: "b1", stream: "stdout", invocation: "B" },
      { line: "b-err", stream: "stderr", invocation: "B" },
      { line: "late", stream: "stdout" },
    ]);
  });

  test("an invocation without spans (the process died) places none of its lines, and pending lines are bounded", () => {
    const out: AttributedLine[] = [];
    const lines = new InvocationLines((l) => out.push(l), 2);
    lines.start("A");
    for (const text of ["x", "y", "z"]) lines.line("stdout", text);
    expect(out).toEqual([{ line: "x", stream: "stdout" }]); // the oldest, past the bound, goes out unplaced
    lines.end(undefined);
    expect(out.map((l) => l.invocation)).toEqual([undefined, undefined, undefined]);
  });
});
