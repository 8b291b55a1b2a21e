import { type ChildProcess, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import type { Readable } from "node:stream";

/** A child process that cannot outlive the Node process that started it. */
export interface SupervisedProcess {
  /** pid of the program itself (not of the wrapper shell). */
  readonly pid: number;
  /** Resolves with the exit code when the program has ended. */
  readonly exited: Promise<number | null>;
  isAlive(): boolean;
  /** Ends the program (SIGTERM, then SIGKILL after `graceMs`) and waits until it is gone. */
  stop(graceMs?: number): Promise<void>;
}

export interface SupervisedProcessOptions {
  name: string;
  command: string;
  args: readonly string[];
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  log?: (line: string) => void;
}

/*
 * The wrapper shell starts the program in the background, reports its pid on fd 3 and then blocks reading
 * its own stdin, which is a pipe from us. When we end (stop(), a crash or even SIGKILL) the kernel closes
 * the pipe, `read` returns and the wrapper kills the program. If the program ends first, the wrapper exits
 * with its code. Background jobs get /dev/null as stdin, hence the copy of stdin on fd 4.
 */
const WRAPPER = [
  "exec 4<&0",
  '"$@" </dev/null 3>&- 4<&- &',
  "pid=$!",
  'echo "$pid" >&3',
  "exec 3>&-",
  '( read _ <&4; kill "$pid" 2>/dev/null ) &',
  "watcher=$!",
  'wait "$pid"',
  "code=$?",
  'kill "$watcher" 2>/dev/null',
  'exit "$code"',
].join("\n");

const running = new Set<number>();
let exitHookInstalled = false;

/** Last resort on a normal exit of our process: signal every program still running (exit handlers are synchronous). */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on("exit", () => {
    for (const pid of running) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
  });
}

function pipeLines(stream: Readable | null, prefix: string, log: ((line: string) => void) | undefined): void {
  if (!stream) return;
  if (!log) {
    stream.resume();
    return;
  }
  createInterface({ input: stream }).on("line", (line) => {
    if (line.trim()) log(`${prefix} ${line}`);
  });
}

function readPid(child: ChildProcess, name: string): Promise<number> {
  const pidStream = child.stdio[3] as Readable | null;
  return new Promise((resolve, reject) => {
    if (!pidStream) return reject(new Error(`${name}: no pid pipe`));
    let text = "";
    pidStream.setEncoding("utf8");
    pidStream.on("data", (chunk: string) => {
      text += chunk;
      const line = text.split("\n")[0];
      if (text.includes("\n") && line) resolve(Number(line));
    });
    pidStream.on("end", () => reject(new Error(`${name}: wrapper ended before reporting a pid`)));
    child.once("error", reject);
  });
}

/**
 * Starts `command args` under a wrapper shell that kills it when our process goes away.
 *
 * @example
 * ```ts
 * const java = await startSupervised({ name: "dynamodb", command: "java", args: ["-jar", jar] });
 * await java.stop();
 * ```
 */
export async function startSupervised(options: SupervisedProcessOptions): Promise<SupervisedProcess> {
  installExitHook();
  const child = spawn("sh", ["-c", WRAPPER, "sh", options.command, ...options.args], {
    cwd: options.cwd,
    env: options.env ?? process.env,
    stdio: ["pipe", "pipe", "pipe", "pipe"],
  });
  let alive = true;
  const exited = new Promise<number | null>((resolve) => {
    child.once("exit", (code) => {
      alive = false;
      resolve(code);
    });
  });
  pipeLines(child.stdout, `[${options.name}]`, options.log);
  pipeLines(child.stderr, `[${options.name}]`, options.log);
  const pid = await readPid(child, options.name);
  running.add(pid);
  void exited.then(() => running.delete(pid));

  return {
    pid,
    exited,
    isAlive: () => alive,
    async stop(graceMs = 5_000) {
      if (!alive) return;
      child.stdin?.end(); // the wrapper's `read` returns and it sends SIGTERM to the program
      const timer = setTimeout(() => {
        for (const target of [pid, child.pid]) {
          try {
            if (target) process.kill(target, "SIGKILL");
          } catch {
            // already gone
          }
        }
      }, graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}
