import { execFile, execFileSync, spawn } from "node:child_process";
import { promisify } from "node:util";
import { GetServiceGraphCommand, type Service } from "@aws-sdk/client-xray";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { PostCreated } from "../../events/forums.js";
import { ProductDeleted, ProductViewed } from "../../events/products.js";
import { UserRegistered } from "../../events/users.js";
import { services } from "../../services/index.js";
import type { QueueDepth } from "../../shared/ops/queues.js";
import { buildTopology } from "../../shared/topology/index.js";
import { makeImage } from "../fixtures/images/make.js";
import { type DevServer, startDev } from "../support/devServer.js";
import { forumsClient } from "../support/forumsClient.js";
import { mediaClient } from "../support/mediaClient.js";
import { eventually, newProduct, productsClient, uid } from "../support/productsClient.js";
import { linksSeenBothWays, type TraceDocument, traceEntries, type XrayReader, xrayReader } from "../support/xray.js";

/** Every process in a process group, by `ps` (pid and command). */
function groupMembers(pgid: number): { pid: number; args: string }[] {
  try {
    return execFileSync("ps", ["-e", "-o", "pid=,pgid=,args="], { encoding: "utf8" })
      .split("\n")
      .map((line) => line.trim().match(/^(\d+)\s+(\d+)\s+(.*)$/))
      .filter((m): m is RegExpMatchArray => m !== null && Number(m[2]) === pgid)
      .map((m) => ({ pid: Number(m[1]), args: m[3]! }));
  } catch {
    return [];
  }
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

test("npm run dev starts to a healthy /_health and leaves no process behind on Ctrl-C", async () => {
  const began = Date.now();
  const child = spawn("npm", ["run", "dev", "--", "--clean"], {
    cwd: new URL("../..", import.meta.url).pathname,
    env: { ...process.env, PORT: "0" },
    detached: true, // its own process group, as a terminal's foreground job
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  const exited = new Promise<string>((resolve) =>
    child.once("exit", (code, signal) => resolve(code === null ? String(signal) : String(code))),
  );
  const pgid = child.pid!;
  try {
    let healthUrl: string | undefined;
    let status = 0;
    while (Date.now() - began < 60_000) {
      healthUrl ??= output.match(/Health\s+(http:\/\/\S+\/_health)/)?.[1];
      if (healthUrl) {
        status = await fetch(healthUrl)
          .then((res) => res.status)
          .catch(() => 0);
        if (status === 200) break;
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    expect(status, output).toBe(200);
    console.log(`npm run dev: /_health 200 after ${Date.now() - began} ms`);
    const members = groupMembers(pgid);
    expect(
      members.some((m) => m.args.includes("java")),
      output,
    ).toBe(true); // DynamoDB Local
    expect(
      members.some((m) => m.args.includes("cognito-local")),
      output,
    ).toBe(true);

    process.kill(-pgid, "SIGINT"); // Ctrl-C reaches the whole foreground group
    const code = await Promise.race([exited, new Promise((resolve) => setTimeout(() => resolve("hung"), 20_000))]);
    // npm re-raises the SIGINT it got once its script ended; node's own shutdown exits 0 and says so.
    expect(["0", "SIGINT"], output).toContain(code);
    const deadline = Date.now() + 15_000;
    while (members.some((m) => alive(m.pid)) && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 100));
    expect(members.filter((m) => alive(m.pid)).map((m) => m.args)).toEqual([]);
    expect(output).toContain("Stopped.");
  } finally {
    if (alive(pgid)) process.kill(-pgid, "SIGKILL");
  }
}, 90_000);

describe("after traffic through all four services", () => {
  let dev: DevServer;
  let xray: XrayReader;
  const products = productsClient(() => dev);
  const forums = forumsClient(() => dev);
  const media = mediaClient(() => dev);
  const topology = buildTopology(services);
  /** The traces of the requests made, by what they did. */
  const traces: Record<"signup" | "product" | "view" | "post" | "upload", string> = {
    signup: "",
    product: "",
    view: "",
    post: "",
    upload: "",
  };
  let since: Date;

  beforeAll(async () => {
    dev = await startDev();
    xray = xrayReader(dev.clientConfig("xray"));
    since = new Date(Date.now() - 1_000);
    const email = `${uid("ann")}@example.com`;
    const signup = await products.call("POST", "/users/signup", {
      json: { email, password: "correct horse battery", displayName: "Ann" },
    });
    products.expectOk(signup, 201);
    traces.signup = signup.traceId;
    const seller = await products.signUp("Seller");
    const created = await products.create(seller.token, newProduct(uid("cat")));
    traces.product = created.reply.traceId;
    const view = await products.call("POST", `/products/${created.product.productId}/views`);
    expect(view.status, view.text).toBe(202);
    traces.view = view.traceId;
    const forum = await forums.createForum(seller, uid("Forum"));
    const thread = await forums.createThread(seller, forum.forumId, uid("Thread"));
    const post = await products.call("POST", `/forums/${forum.forumId}/threads/${thread.threadId}/posts`, {
      token: seller.token,
      json: { body: "a post through the stream" },
    });
    products.expectOk(post, 201);
    traces.post = post.traceId;
    const bytes = await makeImage("png", 64, 48);
    const upload = await media.requestUpload(seller, {
      contentType: "image/png",
      contentLength: bytes.length,
      purpose: "avatar",
    });
    const { mediaId } = media.expectOk(upload, 201);
    traces.upload = upload.traceId;
    expect((await media.put(upload.body, bytes)).status).toBe(200);
    expect((await media.untilFinal(mediaId)).status).toBe("ready");
  }, 120_000);

  afterAll(async () => {
    xray?.client.destroy();
    await dev?.stop();
  }, 30_000);

  /** The function segments' names in a trace's documents. */
  const functionsIn = (documents: readonly TraceDocument[]) =>
    traceEntries(documents).flatMap((e) =>
      e.kind === "segment" && e.origin === "AWS::Lambda::Function" ? [e.name] : [],
    );

  /** Consumers the traffic must have run, one or more per service, besides the routes it called. */
  const CONSUMERS = ["ForumsAuthors", "ForumsPostCreated", "UsersPostCreated", "ProductsProductViewed", "MediaWorker"];

  test("GetServiceGraph lists every function that ran, the four API stages, the bus, and the stream with a hop to each of its consumers", async () => {
    // What ran, as BatchGetTraces shows it: each request's trace and the traces linked to it.
    const ran = new Set<string>();
    for (const id of Object.values(traces)) {
      for (const name of functionsIn(await xray.traceDocuments(id))) ran.add(name);
      for (const linked of await xray.linkedFrom(id)) for (const name of functionsIn(linked.documents)) ran.add(name);
    }
    for (const prefix of ["Users", "Products", "Forums", "Media"])
      expect(
        [...ran].some((name) => name.startsWith(prefix)),
        `no ${prefix} function among ${[...ran]}`,
      ).toBe(true);

    const graph = await eventually(
      () => xray.client.send(new GetServiceGraphCommand({ StartTime: since, EndTime: new Date() })),
      (g) => [...ran, ...CONSUMERS].every((name) => g.Services?.some((s) => s.Name === name)),
      20_000,
      500,
    );
    const nodes = graph.Services ?? [];
    const named = (type: string) => nodes.filter((s) => s.Type === type).map((s) => s.Name);
    expect(named("AWS::Lambda::Function")).toEqual(expect.arrayContaining([...ran, ...CONSUMERS]));
    expect(named("AWS::ApiGateway::Stage")).toEqual(
      expect.arrayContaining(topology.services.map((service) => `${service.basePath.slice(1)}/local`)),
    );
    expect(named("AWS::Events"), JSON.stringify(nodes.map((s) => [s.Name, s.Type]))).toHaveLength(1);
    for (const node of nodes) expect(node.ReferenceId, node.Name).toEqual(expect.any(Number));

    // The stream's node has an edge to each consumer of each stream event: producer → stream → consumer.
    const byReference = new Map(nodes.map((s) => [s.ReferenceId, s]));
    const targets = (node: Service) => (node.Edges ?? []).map((e) => byReference.get(e.ReferenceId)?.Name);
    const streams = nodes.filter((s) => s.Type?.startsWith("AWS::Kinesis"));
    const streamConsumers = topology.subscriptions
      .filter(
        (s) => s.transport === "kinesis" && [PostCreated.type, ProductViewed.type].some((type) => type === s.event),
      )
      .map((s) => s.function);
    expect(streamConsumers.sort()).toEqual(["ForumsPostCreated", "ProductsProductViewed", "UsersPostCreated"]);
    for (const consumer of streamConsumers)
      expect(
        streams.some((stream) => targets(stream).includes(consumer)),
        `no stream node with an edge to ${consumer}: ${JSON.stringify(streams.map((s) => [s.Name, targets(s)]))}`,
      ).toBe(true);
    // …and something sends to the stream: the forums outbox publisher, the products view route.
    const senders = nodes.filter((s) => streams.some((stream) => targets(s).includes(stream.Name)));
    expect(senders.map((s) => s.Type)).toContain("AWS::Lambda::Function");
  });

  test("GetTraceSummaries finds the sign-up by service and the consumers by the event type they annotate", async () => {
    const range = { start: since, end: new Date(Date.now() + 1_000) };
    const bySignup = await xray.summaries('service("UsersSignup")', range);
    expect(bySignup.summaries.map((s) => s.Id)).toContain(traces.signup);
    const signup = bySignup.summaries.find((s) => s.Id === traces.signup)!;
    expect(signup.ServiceIds?.map((s) => s.Name)).toEqual(expect.arrayContaining(["UsersSignup", "ForumsAuthors"]));
    // Every summary a service filter returns has that service in it.
    for (const summary of bySignup.summaries) expect(summary.ServiceIds?.map((s) => s.Name)).toContain("UsersSignup");

    // The bus consumer runs in the sign-up's trace, and the outbox publisher's own invocation in a trace of its own:
    // both annotate the record with its event type, so the filter finds both.
    const registered = await eventually(
      () => xray.summaries(`annotation.eventType = "${UserRegistered.type}"`, range),
      (r) => r.summaries.length >= 2,
    );
    const ids = registered.summaries.map((s) => s.Id);
    expect(ids).toContain(traces.signup);
    const publisher = registered.summaries.find((s) => s.Id !== traces.signup && s.Id !== undefined);
    expect(publisher?.ServiceIds?.map((s) => s.Name)).toContain("UsersOutboxPublisher");
    for (const summary of registered.summaries)
      expect(summary.Annotations?.eventType?.map((v) => v.AnnotationValue?.StringValue)).toContain(UserRegistered.type);

    // The post's stream consumers run in traces of their own, found by the event type and the producer's trace.
    const posted = await xray.summaries(
      `annotation.eventType = "${PostCreated.type}" AND annotation.producerTraceId = "${traces.post}"`,
      range,
    );
    const consumers = new Set(posted.summaries.flatMap((s) => s.ServiceIds?.map((id) => id.Name) ?? []));
    expect([...consumers]).toEqual(expect.arrayContaining(["ForumsPostCreated", "UsersPostCreated"]));
    expect(posted.summaries.map((s) => s.Id)).not.toContain(traces.post);

    // A type nothing published (no product was deleted) finds nothing; a filter X-Ray cannot parse is refused, saying so.
    expect((await xray.summaries(`annotation.eventType = "${ProductDeleted.type}"`, range)).summaries).toEqual([]);
    await expect(xray.summaries('service("UsersSignup") AND', range)).rejects.toMatchObject({
      name: "InvalidRequestException",
    });
  });

  test("the media worker's trace: its MediaProcessed leaves through the outbox publisher, whose trace links back; /_dev/traces names the same links", async () => {
    const range = { start: since, end: new Date(Date.now() + 1_000) };
    const worked = await xray.summaries('service("MediaWorker")', range);
    expect(worked.summaries.length, "no trace of the media worker").toBeGreaterThan(0);
    // The worker commits the media item and its event together; the table's stream runs the publisher in a trace of
    // its own, linked to the worker's commit, and the publisher publishes in the worker's trace.
    const found = await eventually(
      async () =>
        Promise.all(
          worked.summaries.map(async (s) => ({ traceId: s.Id!, linked: await xray.linkedFrom(s.Id!, 600_000) })),
        ),
      (traces) => traces.some((t) => t.linked.length > 0),
    );
    const withLink = found.find((t) => t.linked.length > 0);
    expect(withLink, JSON.stringify(found)).toBeDefined();
    const { traceId, linked } = withLink!;
    expect(linked.flatMap((t) => t.links.map((l) => l.attributes["messaging.system"]))).toContain("dynamodb-streams");
    expect(linked.flatMap((t) => functionsIn(t.documents))).toContain("MediaOutboxPublisher");
    const entries = traceEntries(await xray.traceDocuments(traceId));
    for (const link of linked.flatMap((t) => t.links))
      expect(entries.find((e) => e.id === link.id)?.name, link.id).toMatch(/^outbox /);
    const seen = await linksSeenBothWays(xray, dev.url, traceId);
    expect(seen.dev).toEqual(seen.documents);
    expect(seen.documents.filter((l) => l.direction === "out").map((l) => l.traceId)).toEqual(
      expect.arrayContaining(linked.map((t) => t.traceId)),
    );
  });

  const run = promisify(execFile);
  /** `npm run ops -- <args>` against this dev server, as an operator runs it: its URL and its `local.env`. */
  async function ops(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    const env = Object.fromEntries(
      Object.entries(process.env).filter(([name]) => !/^(AWS_ENDPOINT_URL_|SST_RESOURCE_)/.test(name)),
    );
    try {
      const { stdout, stderr } = await run("npm", ["run", "--silent", "ops", "--", ...args, "--url", dev.url], {
        cwd: new URL("../..", import.meta.url).pathname,
        env: { ...env, SUMMIT_DIR: dev.summitDir },
        timeout: 60_000,
      });
      return { code: 0, stdout, stderr };
    } catch (error) {
      const failed = error as { code?: number; stdout?: string; stderr?: string };
      return { code: failed.code ?? -1, stdout: failed.stdout ?? "", stderr: failed.stderr ?? "" };
    }
  }

  test("npm run ops -- dlq list --json lists every DLQ of the topology; dlq redrive of an event queue exits 1: no DLQ", async () => {
    const listed = await ops("dlq", "list", "--json");
    expect(listed.code, listed.stderr).toBe(0);
    const rows = JSON.parse(listed.stdout) as QueueDepth[];
    const dlqs = topology.queues.filter((q) => q.role === "dlq").map((q) => q.name);
    expect(dlqs.length).toBeGreaterThan(0);
    expect(rows.map((r) => r.name).sort()).toEqual([...dlqs].sort());
    for (const row of rows) {
      expect(row).toMatchObject({ role: "dlq", visible: expect.any(Number), inFlight: expect.any(Number) });
      expect(row.source, row.name).toEqual(expect.any(String));
    }

    const eventQueue = topology.queues.find((q) => q.role === "event");
    expect(eventQueue).toBeDefined();
    const refused = await ops("dlq", "redrive", eventQueue!.name);
    expect(refused.code, refused.stdout).toBe(1);
    expect(refused.stderr).toContain(`${eventQueue!.name} is an event queue, not a DLQ`);
    const unknown = await ops("dlq", "redrive", "NoSuchDlq");
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain("the topology has no queue NoSuchDlq");
  }, 120_000);
});
