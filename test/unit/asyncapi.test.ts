import { type Diagnostic, Parser } from "@asyncapi/parser";
import AjvModule from "ajv";
import formatsModule from "ajv-formats";
import { describe, expect, test } from "vitest";
import { catalog } from "../../events/catalog.js";
import { asyncApiPage } from "../../local/devtools/asyncApiPage.js";
import { type AsyncApiDocument, asyncApiDocument, channelIdOf, producersOf } from "../../local/devtools/asyncapi.js";
import { services } from "../../services/index.js";
import { resourceNameFor } from "../../shared/events/resources.js";
import { outgoingEvents } from "../../shared/publish/outgoingEvents.js";
import { selectTransport } from "../../shared/routing/index.js";
import { buildTopology } from "../../shared/topology/index.js";

const Ajv = AjvModule.default;
const addFormats = formatsModule.default;

const topology = buildTopology(services);
const contracts = Object.values(catalog);
const localEndpoints = { sqs: "http://127.0.0.1:4566", kinesis: "http://127.0.0.1:4567" } as const;
const doc = asyncApiDocument(topology, contracts, { localEndpoints });
/** As `/docs/asyncapi.json` serves it. */
const wire = JSON.parse(JSON.stringify(doc)) as AsyncApiDocument;

const ERROR = 0;
const errorsOf = (diagnostics: Diagnostic[]) =>
  diagnostics.filter((d) => d.severity === ERROR).map((d) => `${d.code}: ${d.message} at ${d.path.join(".")}`);

describe("asyncApiDocument of the catalog", () => {
  test("is a valid AsyncAPI 3.0 document for @asyncapi/parser", async () => {
    expect(wire.asyncapi).toBe("3.0.0");
    const diagnostics = await new Parser().validate(JSON.stringify(wire));
    expect(errorsOf(diagnostics)).toEqual([]);
  });

  test("the validator catches a broken document (an operation on a channel that is not there)", async () => {
    const [first] = Object.keys(wire.operations);
    const broken = structuredClone(wire) as unknown as { operations: Record<string, { channel: { $ref: string } }> };
    broken.operations[first!]!.channel = { $ref: "#/channels/Nowhere" };
    expect(errorsOf(await new Parser().validate(JSON.stringify(broken))).length).toBeGreaterThan(0);
  });

  test("has a channel and a message per catalog event, as the parser's model reads them", async () => {
    const { document } = await new Parser().parse(JSON.stringify(wire));
    if (!document) throw new Error("the parser gave no document");
    expect(
      document
        .channels()
        .all()
        .map((c) => c.id())
        .sort(),
    ).toEqual(contracts.map(channelIdOf).sort());
    expect(
      document
        .messages()
        .all()
        .map((m) => m.name())
        .sort(),
    ).toEqual(contracts.map((c) => c.type).sort());
    for (const contract of contracts) {
      const channel = document.channels().get(channelIdOf(contract));
      expect(channel?.address(), contract.type).toBe(`summit-{stage}-${resourceNameFor(contract)}`);
      expect(
        channel
          ?.messages()
          .all()
          .map((m) => m.name()),
      ).toEqual([contract.type]);
      expect(channel?.parameters().get("stage")?.schema()?.default()).toBe("local");
    }
  });

  test("sends from each producer and receives in each consumer the topology has", async () => {
    const { document } = await new Parser().parse(JSON.stringify(wire));
    if (!document) throw new Error("the parser gave no document");
    for (const contract of contracts) {
      const id = channelIdOf(contract);
      const ops = document.operations().filter((op) =>
        op
          .channels()
          .all()
          .some((c) => c.id() === id),
      );
      const sends = ops.filter((op) => op.isSend());
      const receives = ops.filter((op) => op.isReceive());
      const producers = producersOf(topology, contract.type);
      expect(producers.length, contract.type).toBeGreaterThan(0);
      expect(sends.map((op) => (op.json() as { "x-producer": { service: string } })["x-producer"].service)).toEqual(
        producers.map((p) => p.service),
      );
      const subscriptions = topology.subscriptions.filter((s) => s.event === contract.type);
      expect(receives.map((op) => op.id()).sort()).toEqual(subscriptions.map((s) => `receive${s.name}`).sort());
      for (const op of receives) {
        const subscription = subscriptions.find((s) => `receive${s.name}` === op.id())!;
        expect(op.json()["x-consumer"]).toMatchObject({
          service: subscription.service,
          function: subscription.function,
          deadLetterQueue: subscription.failureDestination,
        });
        expect(
          op
            .messages()
            .all()
            .map((m) => m.name()),
        ).toEqual([contract.type]);
      }
    }
  });

  test("the producers are the publishing service, through its outbox, or the resource that raises the event", () => {
    for (const contract of contracts) {
      for (const producer of producersOf(topology, contract.type)) {
        expect(producer.service, contract.type).toBe(contract.domain);
        const outbox = topology.outboxes.find((o) => o.service === producer.service);
        if (producer.kind === "outbox") expect(outbox?.events).toContain(contract.type);
        if (producer.kind === "resource")
          expect(topology.resources.find((r) => r.name === producer.via)?.raises).toContain(contract.type);
      }
    }
  });

  test("each channel's transport and reason are the routing guide's", () => {
    for (const contract of contracts) {
      const decision = selectTransport(
        contract.needs,
        contract.partitionKey ? { partitionKey: contract.partitionKey } : {},
      );
      const channel = wire.channels[channelIdOf(contract)];
      expect(channel?.["x-transport"], contract.type).toBe(decision.transport);
      expect(channel?.["x-transport-reason"], contract.type).toBe(decision.reason);
    }
  });

  test("SQS and SNS channels carry AsyncAPI's bindings; EventBridge and Kinesis their facts as x- fields", () => {
    for (const contract of contracts) {
      const channel = wire.channels[channelIdOf(contract)]!;
      const bindings = Object.keys(channel.bindings ?? {});
      if (contract.transport === "sqs") {
        expect(bindings).toEqual(["sqs"]);
        const queue = topology.queues.find((q) => q.name === resourceNameFor(contract))!;
        expect(channel.bindings?.sqs).toMatchObject({
          queue: {
            name: channel.address,
            fifoQueue: false,
            visibilityTimeout: queue.visibilityTimeoutSeconds,
            redrivePolicy: { deadLetterQueue: { name: `summit-{stage}-${queue.dlq}` } },
          },
        });
      } else if (contract.transport === "sns") {
        expect(channel.bindings?.sns).toMatchObject({ name: channel.address });
        const send = Object.values(wire.operations).find(
          (op) => op.action === "send" && op.channel.$ref === `#/channels/${channelIdOf(contract)}`,
        );
        const subscribers = topology.subscriptions.filter((s) => s.event === contract.type);
        const sns = send?.bindings?.sns as { consumers: { endpoint: { name: string } }[] } | undefined;
        expect(sns?.consumers.map((c) => c.endpoint.name)).toEqual(
          subscribers.map((s) => (s.buffer ? `summit-{stage}-${s.buffer}` : s.function)),
        );
      } else {
        expect(bindings).toEqual([]);
      }
      if (contract.transport === "kinesis")
        expect(channel["x-kinesis"]).toMatchObject({ partitionKey: contract.partitionKey });
      if (contract.transport === "eventbridge")
        expect(channel["x-eventbridge"]).toEqual({ source: `summit.${contract.domain}`, detailType: contract.type });
    }
  });

  test("a channel is on AWS's server for its transport, and on the local emulator's when the runtime has one", () => {
    for (const contract of contracts) {
      const servers = wire.channels[channelIdOf(contract)]!.servers.map((s) => s.$ref);
      const local = contract.transport in localEndpoints ? [`#/servers/local-${contract.transport}`] : [];
      expect(servers).toEqual([`#/servers/aws-${contract.transport}`, ...local]);
    }
    expect(wire.servers["local-sqs"]).toMatchObject({ host: "127.0.0.1:4566", protocol: "sqs" });
    expect(asyncApiDocument(topology, contracts).servers["local-sqs"]).toBeUndefined();
  });

  test("a message's payload schema accepts a real envelope and refuses a broken one", () => {
    const ajv = new Ajv({ strict: false, allErrors: true });
    addFormats(ajv);
    const contract = catalog["forums.PostCreated"];
    const validate = ajv.compile(wire.components.messages[channelIdOf(contract)]!.payload);
    const id = "abc_123";
    const [event] = outgoingEvents(
      contract,
      [{ postId: id, threadId: id, forumId: id, authorId: id, createdAt: new Date().toISOString() }],
      { correlationId: "req-1" },
    );
    const envelope = JSON.parse(event!.body) as Record<string, unknown> & { data: Record<string, unknown> };
    expect(validate(envelope), JSON.stringify(validate.errors)).toBe(true);

    const refused = (value: unknown) => !validate(value);
    expect(refused({ ...envelope, data: { ...envelope.data, threadId: undefined } })).toBe(true);
    expect(refused({ ...envelope, data: { ...envelope.data, createdAt: "yesterday" } })).toBe(true);
    expect(refused({ ...envelope, type: "forums.ThreadCreated" })).toBe(true);
    expect(refused({ ...envelope, version: 2 })).toBe(true);
    expect(refused({ ...envelope, correlationId: undefined })).toBe(true);
  });

  test("the page shows every channel with its transport, reason, address, producer, consumers and schema", () => {
    const page = asyncApiPage(doc);
    expect(page).not.toMatch(/<(script|link)[^>]+(src|href)="?https?:/);
    for (const contract of contracts) {
      const section = page.slice(page.indexOf(`<section id="${channelIdOf(contract)}">`)).split("</section>")[0]!;
      expect(section, contract.type).toContain(contract.type);
      expect(section).toContain(contract.reason);
      expect(section).toContain(`summit-{stage}-${resourceNameFor(contract)}`);
      for (const producer of producersOf(topology, contract.type)) expect(section).toContain(producer.via);
      for (const s of topology.subscriptions.filter((s) => s.event === contract.type))
        expect(section).toContain(s.function);
      expect(section).toContain('<table class="schema">');
    }
  });
});
