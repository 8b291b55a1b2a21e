import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type EmulatorEndpoint, ENDPOINT_ENV } from "../../local/emulators/index.js";
import type { LinkedResource } from "../../shared/config.js";

/**
 * A real `npm run dev` for end-to-end tests: its own process group, a free port, in-memory state and its own
 * `SUMMIT_DIR`, so several can run side by side. Tests reach the API through `url` and the emulators through `env`
 * (the `AWS_ENDPOINT_URL_*` variables) and `resources` (every provisioned resource by its topology name), both read
 * from the running system's `/_dev/resources`.
 *
 * @example
 * ```ts
 * let dev: DevServer;
 * beforeAll(async () => { dev = await startDev(); }, 90_000);
 * afterAll(() => dev?.stop());
 * const res = await fetch(`${dev.url}/users/signup`, { method: "POST", ... });
 * ```
 */
export interface DevServer {
  readonly url: string;
  readonly env: Readonly<Record<string, string>>;
  readonly resources: Readonly<Record<string, LinkedResource>>;
  /** Its `SUMMIT_DIR`: where its `local.env` is, for the AWS CLI and `npm run ops`. */
  readonly summitDir: string;
  /** Everything the process printed so far (for failure messages). */
  output(): string;
  /** SDK client configuration for one emulated service (`dynamodb`, `kinesis`, `sns`, …). */
  clientConfig(service: EmulatorEndpoint): {
    endpoint: string;
    region: string;
    credentials: { accessKeyId: string; secretAccessKey: string };
  };
  stop(): Promise<void>;
}

export async function startDev({ timeoutMs = 90_000 }: { timeoutMs?: number } = {}): Promise<DevServer> {
  const began = Date.now();
  const summitDir = mkdtempSync(join(tmpdir(), "summit-e2e-"));
  const child: ChildProcess = spawn("npm", ["run", "dev", "--", "--clean"], {
    cwd: new URL("../..", import.meta.url).pathname,
    env: { ...process.env, PORT: "0", SUMMIT_DIR: summitDir },
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  let exited = false;
  const exit = new Promise<void>((resolve) =>
    child.once("exit", () => {
      exited = true;
      resolve();
    }),
  );
  const stop = async () => {
    if (!exited && child.pid) {
      try {
        process.kill(-child.pid, "SIGINT");
      } catch {
        // already gone
      }
      let timer: NodeJS.Timeout | undefined;
      const stopped = await Promise.race([
        exit.then(() => true),
        new Promise<boolean>((resolve) => {
          timer = setTimeout(() => resolve(false), 20_000);
        }),
      ]);
      clearTimeout(timer);
      if (!stopped && child.pid) process.kill(-child.pid, "SIGKILL");
    }
    rmSync(summitDir, { recursive: true, force: true });
  };

  try {
    let url: string | undefined;
    while (Date.now() - began < timeoutMs) {
      if (exited) throw new Error(`npm run dev exited during start-up:\n${output}`);
      url ??= output.match(/API \(gateway\)\s+(http:\/\/\S+)/)?.[1];
      if (url) {
        const status = await fetch(`${url}/_health`)
          .then((res) => res.status)
          .catch(() => 0);
        if (status === 200) break;
      }
      await sleep(200);
    }
    if (!url) throw new Error(`npm run dev did not come up in ${timeoutMs} ms:\n${output}`);
    const local = (await (await fetch(`${url}/_dev/resources`)).json()) as {
      env: Record<string, string>;
      resources: Record<string, LinkedResource>;
    };
    const gateway = url;
    return {
      url: gateway,
      env: local.env,
      resources: local.resources,
      summitDir,
      output: () => output,
      clientConfig: (service) => ({
        endpoint: local.env[ENDPOINT_ENV[service]] ?? "",
        region: local.env.AWS_REGION ?? "us-east-1",
        credentials: { accessKeyId: "test", secretAccessKey: "test" },
      }),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
