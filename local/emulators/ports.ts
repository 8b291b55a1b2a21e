import { request } from "node:http";
import { createServer } from "node:net";

/** Loopback address every emulator binds to. */
export const LOOPBACK = "127.0.0.1";

/**
 * Asks the kernel for a free TCP port on loopback (bind to port 0, read it, release it).
 * For emulators that cannot listen on port 0 themselves (DynamoDB Local, cognito-local).
 *
 * @example
 * ```ts
 * const port = await freePort();
 * ```
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once("error", reject);
    server.listen(0, LOOPBACK, () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** True when something accepts TCP connections on loopback:port. */
export function isPortInUse(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(true));
    server.listen(port, LOOPBACK, () => server.close(() => resolve(false)));
  });
}

/** Resolves with the status of one HTTP request, or undefined when nothing answers. */
function probe(url: string, method: string): Promise<number | undefined> {
  return new Promise((resolve) => {
    const req = request(url, { method, timeout: 1_000 }, (res) => {
      res.resume();
      resolve(res.statusCode);
    });
    req.on("timeout", () => req.destroy());
    req.on("error", () => resolve(undefined));
    req.end();
  });
}

/**
 * Polls `url` until it answers any HTTP status, or rejects after `timeoutMs`.
 * `alive()` lets the caller abort early when the process behind the port has died.
 */
export async function waitForHttp(
  url: string,
  options: { timeoutMs: number; method?: string; intervalMs?: number; alive?: () => boolean },
): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  while (Date.now() < deadline) {
    if (options.alive && !options.alive()) throw new Error(`the process behind ${url} exited before it was ready`);
    if ((await probe(url, options.method ?? "GET")) !== undefined) return;
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 50));
  }
  throw new Error(`${url} did not answer within ${options.timeoutMs} ms`);
}
