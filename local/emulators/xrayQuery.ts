import { createServer } from "node:http";
import { closeHttpServer, listenOnLoopback } from "./httpServer.js";
import { LOOPBACK } from "./ports.js";
import type { XrayCollector } from "./xrayCollector.js";

/**
 * A tiny read-only HTTP view of a collector, for processes that do not hold it (test workers):
 * `GET /segments?traceId=` → `{ segments }`, `GET /traces` → `{ traceIds }`, `DELETE /segments` clears.
 *
 * @example
 * ```ts
 * const query = await startXrayQueryServer(emulators.xray);
 * await fetch(`${query.url}/segments?traceId=${traceId}`);
 * ```
 */
export async function startXrayQueryServer(collector: XrayCollector): Promise<{ url: string; stop(): Promise<void> }> {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://placeholder");
    const reply = (status: number, body: unknown) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    };
    if (req.method === "GET" && url.pathname === "/segments") {
      return reply(200, { segments: collector.segments(url.searchParams.get("traceId") ?? undefined) });
    }
    if (req.method === "GET" && url.pathname === "/traces") return reply(200, { traceIds: collector.traceIds() });
    if (req.method === "DELETE" && url.pathname === "/segments") {
      collector.clear();
      return reply(200, {});
    }
    reply(404, { message: "not found" });
  });
  const port = await listenOnLoopback(server);
  return { url: `http://${LOOPBACK}:${port}`, stop: () => closeHttpServer(server) };
}
