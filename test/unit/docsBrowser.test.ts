import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import chromium from "@sparticuz/chromium";
import puppeteer, { type Browser, type Page } from "puppeteer-core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { devRoutes } from "../../local/devtools/index.js";
import { buildTopology } from "../../shared/topology/index.js";
import { fixtureServices } from "../fixtures/services/index.js";

/**
 * `/docs` in a real headless Chromium (the binary shipped in `@sparticuz/chromium`, offline): Swagger UI loads from
 * this origin only, lists every service, and "Try it out" sends the request, with the bearer token from Authorize,
 * to the gateway the page came from (here a stand-in that records what reaches it).
 */
const topology = buildTopology(fixtureServices);
const reached: { method: string; url: string; headers: IncomingHttpHeaders; body: string }[] = [];
let server: Server;
let origin: string;
let browser: Browser;
let page: Page;
const requested: string[] = [];
const pageErrors: string[] = [];

beforeAll(async () => {
  const dev = devRoutes({ collector: { segments: () => [] }, topology });
  server = createServer(async (req, res) => {
    if (await dev(req, res)) return;
    let body = "";
    for await (const chunk of req) body += String(chunk);
    reached.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers, body });
    res.writeHead(201, { "content-type": "application/json" });
    res.end(JSON.stringify({ orderId: "o-1" }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  browser = await puppeteer.launch({
    executablePath: await chromium.executablePath(),
    args: chromium.args,
    headless: true,
  });
  page = await browser.newPage();
  page.on("request", (request) => {
    requested.push(request.url());
  });
  page.on("pageerror", (error) => {
    pageErrors.push(String(error));
  });
  page.on("console", (message) => {
    if (message.type() === "error") pageErrors.push(message.text());
  });
  await page.goto(`${origin}/docs`, { waitUntil: "networkidle0" });
  await page.waitForSelector(".opblock");
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

describe("/docs in Chromium", () => {
  test("renders the first service's operations, with a selector of every service and the request's server", async () => {
    const [first] = topology.services;
    const paths = await page.$$eval(".opblock-summary-path", (els) => els.map((el) => el.textContent?.trim()));
    const routes = topology.routes.filter((r) => r.service === first?.name).map((r) => r.path);
    expect(new Set(paths)).toEqual(new Set(routes));
    const definitions = await page.$$eval(".topbar select option", (els) => els.map((el) => el.textContent));
    expect(definitions).toEqual(topology.services.map((s) => s.name));
    const servers = await page.$$eval(".servers select option", (els) => els.map((el) => el.getAttribute("value")));
    expect(servers[0]).toBe(`${origin}${first?.basePath}`);
  });

  test("Try it out sends the request, with the bearer token from Authorize, to the running gateway", async () => {
    const route = topology.routes.find((r) => r.auth && r.method === "POST" && r.definition.schemas?.body);
    if (!route) throw new Error("the fixture system has no authorized POST with a body");
    await page.click(".btn.authorize");
    await page.waitForSelector(".auth-container input");
    await page.type(".auth-container input", "token-123");
    await page.click(".auth-btn-wrapper .authorize");
    await page.click(".auth-btn-wrapper .btn-done");
    const operation = `#operations-${route.service}-${route.function}`;
    await page.click(`${operation} .opblock-summary`);
    // "Try it out" is on from the start: the body editor holds an example from the schema, ready to execute.
    await page.waitForSelector(`${operation} textarea.body-param__text`);
    await page.click(`${operation} .btn.execute`);
    const answered = `${operation} .live-responses-table .response .response-col_status`;
    await page.waitForSelector(answered, { timeout: 10_000 });
    const sent = reached.find((r) => r.method === route.method && r.url === route.fullPath);
    expect(sent?.headers.authorization).toBe("Bearer token-123");
    expect(sent?.headers["content-type"]).toContain("application/json");
    expect(() => JSON.parse(sent?.body ?? "")).not.toThrow();
    const status = await page.$eval(answered, (el) => el.textContent);
    expect(status?.trim()).toBe("201");
  });

  test("fetched nothing but this origin's files, and threw no error", () => {
    expect(requested.length).toBeGreaterThan(0);
    for (const url of requested) expect(url.startsWith(`${origin}/`) || url.startsWith("data:"), url).toBe(true);
    expect(requested).toContain(`${origin}/docs/assets/swagger-ui-bundle.js`);
    expect(pageErrors).toEqual([]);
  });
});
