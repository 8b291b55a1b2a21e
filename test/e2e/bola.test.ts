import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, ScanCommand } from "@aws-sdk/lib-dynamodb";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { OpenApiOperation } from "../../local/devtools/openapi.js";
import { services } from "../../services/index.js";
import { buildTopology } from "../../shared/topology/index.js";
import { type DevServer, startDev } from "../support/devServer.js";
import {
  type ApiUser,
  bodySchemaOf,
  type DocumentedOperation,
  documentedOperations,
  documents,
  expectSane,
  fillPath,
  KnownResources,
  type RawReply,
  type RawRequest,
  send,
  signUpUser,
} from "../support/documentedApi.js";
import { acceptedValues, type JsonSchema } from "../support/schemaCases.js";
import { TOKEN_ATTACKS } from "../support/tokens.js";

/**
 * Broken object-level authorization, tried on every route the topology declares: each owner-only route (`owner` on
 * its definition, `x-owner` in its document) with another user's token on a resource its owner just created, and
 * each authenticated route with every token attack of the users suite. The matrix is built from the routes, so a
 * new route joins it: the intruder gets a 403 and the resource reads back unchanged; a forged token gets a 401 and
 * no table of any service changes. A positive control with the real token shows each refusal is about the token.
 */

const SEED = 20_261_202;
/** The contract's staleness bound for a write to be seen by every reader (caches included). */
const VISIBLE_WITHIN_MS = 5_000;

const topology = buildTopology(services);
const ownerRoutes = topology.routes.filter((route) => route.definition.owner);
const authRoutes = topology.routes.filter((route) => route.auth);
const nameOf = (route: { method: string; fullPath: string }) => `${route.method} ${route.fullPath}`;

let dev: DevServer;
let operations: DocumentedOperation[];
let owner: ApiUser;
let intruder: ApiUser;
const known = new KnownResources();

beforeAll(async () => {
  dev = await startDev();
  operations = await documentedOperations(dev);
  [owner, intruder] = await Promise.all([signUpUser(dev, "Owner"), signUpUser(dev, "Intruder")]);
}, 120_000);
afterAll(async () => {
  await dev?.stop();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const operationNamed = (name: string): DocumentedOperation => {
  const op = operations.find((o) => o.name === name);
  if (!op) throw new Error(`${name} is not in its service's document`);
  return op;
};

/**
 * A body that writes: the schema's scalar fields, each a valid value (arrays and nullable fields, which may name
 * other resources or clear one, left out); `{}` for a schema without properties.
 */
function writingBody(schema: JsonSchema | undefined, seed: number): Record<string, unknown> | undefined {
  if (!schema) return undefined;
  const scalar = Object.fromEntries(
    Object.entries(schema.properties ?? {}).filter(([, p]) => p.type !== "array" && !p.anyOf && !p.oneOf),
  );
  const [value] = fc.sample(acceptedValues({ ...schema, properties: scalar }, { complete: true }), {
    numRuns: 1,
    seed,
  });
  return value as Record<string, unknown>;
}

function request(op: DocumentedOperation, token: string | undefined, path: Record<string, string>, body?: unknown) {
  const json = body === undefined ? undefined : JSON.stringify(body);
  const raw: RawRequest = {
    method: op.method,
    path: fillPath(op.path, path),
    headers: [
      ...(json !== undefined ? [["content-type", "application/json"] as const] : []),
      ...(token !== undefined ? [["authorization", token] as const] : []),
    ],
    ...(json !== undefined ? { body: json } : {}),
  };
  return raw;
}

async function call(op: DocumentedOperation, raw: RawRequest, label: string): Promise<RawReply> {
  const reply = await send(dev.url, raw);
  expectSane(reply, `${op.name} [${label}] ${raw.method} ${raw.path}`);
  if (reply.status < 300) known.remember(reply.json);
  return reply;
}

/** The collection a resource is created in: `POST /products` for `/products/{productId}`. */
function creatorOf(op: DocumentedOperation, param: string): DocumentedOperation {
  const parent = op.path.replace(new RegExp(`/\\{${param}\\}$`), "");
  return operationNamed(`POST ${parent}`);
}

/** Reads a resource past every cache: with a token (never a shared copy), after the staleness bound. */
async function readBack(read: DocumentedOperation, path: Record<string, string>, token: string) {
  await sleep(VISIBLE_WITHIN_MS);
  return call(read, request(read, `Bearer ${token}`, path), "read back");
}

test("owner-only routes are declared, and their documents show it", () => {
  expect(ownerRoutes.length).toBeGreaterThan(0);
  for (const route of ownerRoutes) {
    const op = operationNamed(nameOf(route)).operation as OpenApiOperation;
    expect(op["x-owner"], nameOf(route)).toEqual(route.definition.owner);
    expect(documents(op, 403), nameOf(route)).toBe(true);
  }
});

describe("every owner-only route, with another user's token", () => {
  test.each(ownerRoutes.map(nameOf))(
    "%s: 403 for the intruder, the resource unchanged; its owner succeeds",
    async (name) => {
      const op = operationNamed(name);
      const ownership = op.operation["x-owner"];
      if (!ownership) throw new Error(`${name} documents no x-owner`);
      const creator = creatorOf(op, ownership.path);
      const read = operationNamed(`GET ${op.path}`);
      const created = await call(
        creator,
        request(creator, `Bearer ${owner.accessToken}`, {}, writingBody(bodySchemaOf(creator.operation), SEED)),
        "create",
      );
      expect(created.status, created.text).toBe(201);
      const resource = created.json as Record<string, unknown>;
      expect(resource[ownership.field], `${ownership.field} of ${created.text}`).toBe(owner.userId);
      const path = { [ownership.path]: String(resource[ownership.path]) };
      const before = await readBack(read, path, owner.accessToken);
      expect(before.status).toBe(200);

      // The same change the owner makes below, but the intruder's; and with an idempotency key, as a retry would.
      const change = writingBody(bodySchemaOf(op.operation), SEED + 1);
      const attempts = [
        request(op, `Bearer ${intruder.accessToken}`, path, change),
        withKey(request(op, `Bearer ${intruder.accessToken}`, path, change)),
      ];
      for (const attempt of attempts) {
        const refused = await call(op, attempt, "intruder");
        expect(refused.status, refused.text).toBe(403);
        expect(refused.json).toMatchObject({ status: 403, title: "Forbidden" });
      }
      const after = await readBack(read, path, intruder.accessToken);
      expect(after.status, after.text).toBe(200);
      expect(after.json, "the intruder changed the resource").toEqual(before.json);

      const allowed = await call(op, request(op, `Bearer ${owner.accessToken}`, path, change), "owner");
      expect(allowed.status < 300 && documents(op.operation, allowed.status), allowed.text).toBe(true);
      const changed = await readBack(read, path, owner.accessToken);
      if (op.method === "DELETE") expect(changed.status, changed.text).toBe(404);
      else expect(changed.json, "the owner's change is what a reader sees").not.toEqual(before.json);
      console.log(`bola ${name}: ${attempts.length} intruder requests refused, resource unchanged`);
    },
    60_000,
  );
});

const withKey = (raw: RawRequest): RawRequest => ({
  ...raw,
  headers: [...(raw.headers ?? []), ["idempotency-key", crypto.randomUUID()]],
});

/** Every item of every table of every service, in a stable order: what "nothing written" is checked against. */
async function tableSnapshot(): Promise<string> {
  const db = DynamoDBDocumentClient.from(new DynamoDBClient(dev.clientConfig("dynamodb")));
  try {
    const tables: Record<string, string[]> = {};
    for (const table of topology.tables) {
      const items: string[] = [];
      let ExclusiveStartKey: Record<string, unknown> | undefined;
      do {
        const page = await db.send(
          new ScanCommand({ TableName: String(dev.resources[table.name]?.name), ExclusiveStartKey }),
        );
        for (const item of page.Items ?? []) items.push(JSON.stringify(item, Object.keys(item).sort()));
        ExclusiveStartKey = page.LastEvaluatedKey;
      } while (ExclusiveStartKey);
      tables[table.name] = items.sort();
    }
    return JSON.stringify(tables);
  } finally {
    db.destroy();
  }
}

/** The snapshot once the consumers have caught up: the same twice in a row, a second apart. */
async function settledSnapshot(): Promise<string> {
  let previous = await tableSnapshot();
  for (let i = 0; i < 20; i++) {
    await sleep(1_000);
    const current = await tableSnapshot();
    if (current === previous) return current;
    previous = current;
  }
  throw new Error("the tables kept changing for 20 s");
}

describe("every authenticated route, with each token attack", () => {
  const forged = new Map<string, string | undefined>();
  beforeAll(async () => {
    const poolId = String(dev.resources.UsersUserPool?.id);
    for (const [attack, forge] of Object.entries(TOKEN_ATTACKS))
      forged.set(attack, await forge(owner, dev.clientConfig("cognito"), poolId));
    // Resources for the routes' path parameters: each creating route without path parameters first, then nested.
    const creates = operations
      .filter((op) => op.method === "POST" && op.operation.security && op.operation.requestBody)
      .sort((a, b) => a.path.split("/").length - b.path.split("/").length);
    for (const op of creates) {
      const names = pathNamesOf(op);
      const path = known.withAll(names).at(-1) ?? {};
      if (names.some((n) => path[n] === undefined)) continue;
      const body = writingBody(bodySchemaOf(op.operation), SEED);
      const reply = await call(op, request(op, `Bearer ${owner.accessToken}`, path, body), "setup");
      expect(reply.status, `${op.name}: ${reply.text}`).toBe(201);
    }
  }, 60_000);

  test.each(authRoutes.map(nameOf))(
    `%s: 401 for each of ${Object.keys(TOKEN_ATTACKS).length} token attacks, nothing written`,
    async (name) => {
      const op = operationNamed(name);
      const names = pathNamesOf(op);
      const path = known.withAll(names).at(-1);
      expect(path, `no resource for ${name}'s path`).toBeDefined();
      const body = writingBody(bodySchemaOf(op.operation), SEED + 2);
      const before = await settledSnapshot();
      for (const [attack, authorization] of forged) {
        for (const raw of [
          request(op, authorization, path ?? {}, body),
          withKey(request(op, authorization, path ?? {}, body)),
        ]) {
          const reply = await call(op, raw, attack);
          const what = `${name} with ${attack} → ${reply.status} ${reply.text.slice(0, 200)}`;
          expect(reply.status, what).toBe(401);
          expect(reply.json, what).toMatchObject({ status: 401, title: "Unauthorized" });
          expect(reply.headers["www-authenticate"], what).toMatch(/^Bearer\b/);
        }
      }
      await sleep(1_000);
      expect(await tableSnapshot(), `${name}: a refused request wrote to a table`).toBe(before);

      // Positive control: the same request with the real token is no 401 (the refusals were about the token).
      const real = await call(op, request(op, `Bearer ${owner.accessToken}`, path ?? {}, body), "real token");
      expect(real.status, real.text).not.toBe(401);
      expect(documents(op.operation, real.status), real.text).toBe(true);
      // ...and a write with it shows in the snapshot: "nothing written" above could have seen one.
      if (op.method !== "GET" && real.status < 300) expect(await tableSnapshot()).not.toBe(before);
      console.log(`bola ${name}: ${forged.size * 2} forged requests refused, nothing written`);
    },
    90_000,
  );
});

function pathNamesOf(op: DocumentedOperation): string[] {
  return (op.operation.parameters ?? []).filter((p) => p.in === "path").map((p) => p.name);
}
