/**
 * The real system, synthesized offline: `sst.config.ts` itself (its `app()` and `run()` over services/index.ts) under
 * Pulumi's mocks, every handler really bundled. The users service is the one with routes, a table, the user pool and
 * consumers on all three fan-out transports; products, forums and media only produce the events it reads.
 *
 * What this proves: the resources the stacks would ask AWS for, their inputs after every transform, and how they
 * point at one another (ARNs, ids, environment), checked against the topology and the contract.
 *
 * What only a real deploy (and a smoke test against it) can prove:
 * - that AWS accepts these inputs: Cognito the password policy with every character class off and the client's flows;
 *   API Gateway the authorizer, the scopes and the stage; the certificate validating through Route 53 on the domain;
 * - that the tokens are what the offline facts say: a USER_PASSWORD_AUTH access token carries
 *   `aws.cognito.signin.user.admin`, the authorizer with that scope takes it on GET/PATCH /users/me and refuses the ID
 *   token, and the claims reach the handler as `requestContext.authorizer.claims` with `sub`;
 * - that the IAM the links grant is enough at run time (`cognito-idp:*` on the pool for AdminConfirmSignUp,
 *   AdminDeleteUser and AdminGetUser; `dynamodb:*` on the table for the sign-up transaction; `sqs:*` on each DLQ for
 *   Lambda's on-failure destinations; `kinesis:*` on the post stream for the event source);
 * - that EventBridge, SNS and Lambda's Kinesis filter match real events as the local matcher does (the patterns and
 *   the filter are checked here to be the contract's, not to behave like AWS), and that publishers set the
 *   `eventType` attribute the SNS filter reads;
 * - quotas and limits: Lambda concurrency, API Gateway throttling, Cognito's request rates (sign-up sends no email:
 *   nothing auto-verified, so Cognito's small daily email quota is never in the way);
 * - that deletion protection and `retainOnDelete` really stop a production pool or table from being deleted.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { services } from "../../services/index.js";
import { buildTopology, checkTopology, type SubscriptionNode } from "../../shared/topology/index.js";
import { breakResource, grant, without } from "./breakage.js";
import {
  checkAppClient,
  checkBatchResponses,
  checkBuckets,
  checkBundling,
  checkCdn,
  checkConsumerWiring,
  checkDomain,
  checkFailureHandling,
  checkIndexes,
  checkNativePackages,
  checkOwnership,
  checkRetention,
  checkRoleTrust,
  checkRoutes,
  checkStage,
  checkUserPool,
  checkUserPoolLinks,
  ofType,
} from "./checks.js";
import { type SynthResource, type SynthResult, stopSynth, synthesizeConfig } from "./synth.js";

const topology = buildTopology(services);
const ROOT_DOMAIN = "api.example.com";
const DOMAIN = `ci.${ROOT_DOMAIN}`;
const users = topology.functions.filter((f) => f.service === "users");

let ci: SynthResult;
let production: SynthResult;

beforeAll(async () => {
  expect(checkTopology(topology)).toEqual([]);
  // Two processes side by side; SUMMIT_DOMAIN is pinned so the machine's environment cannot move the domain.
  const env = { SUMMIT_DOMAIN: ROOT_DOMAIN };
  [ci, production] = await Promise.all([synthesizeConfig({ env }), synthesizeConfig({ stage: "production", env })]);
}, 300_000);

afterAll(stopSynth);

const one = (resources: readonly SynthResource[], type: string, name: string): SynthResource => {
  const found = ofType(resources, type).filter((r) => r.name === name);
  if (found.length !== 1) throw new Error(`${found.length} ${type} named ${name}`);
  return found[0]!;
};
const POOL = "aws:cognito/userPool:UserPool";
const CLIENT = "aws:cognito/userPoolClient:UserPoolClient";
const METHOD = "aws:apigateway/method:Method";
const ROLE = "aws:iam/role:Role";
const ESM = "aws:lambda/eventSourceMapping:EventSourceMapping";
const pool = () => one(ci.resources, POOL, "UsersUserPoolUserPool");
const lambdaName = (fn: string) => `${fn}Function`;
const env = (resources: readonly SynthResource[], fn: string) =>
  (
    one(resources, "aws:lambda/function:Function", lambdaName(fn)).inputs.environment as {
      variables: Record<string, string>;
    }
  ).variables;
/** The physical name SST gives a component's resource contains `-<Component><Suffix>-`. */
const isOf = (value: unknown, component: string, suffix: string) =>
  typeof value === "string" && value.includes(`-${component}${suffix}-`);
/** The method of a users route, by HTTP method and its resource's path part (`me`, `{userId}`). */
const usersMethod = (httpMethod: string, pathPart: string) => (r: SynthResource) => {
  if (r.type !== METHOD || r.inputs.httpMethod !== httpMethod) return false;
  const resource = ofType(ci.resources, "aws:apigateway/resource:Resource").find(
    (x) => x.physicalId === r.inputs.resourceId,
  );
  return resource?.inputs.pathPart === pathPart;
};
const subscriptionOf = (event: string): SubscriptionNode => {
  const found = topology.subscriptions.filter((s) => s.service === "users" && s.event === event);
  if (found.length !== 1) throw new Error(`users has ${found.length} subscriptions to ${event}`);
  return found[0]!;
};

describe("sst.config.ts over services/index.ts", () => {
  it("runs, for a development stage and for production, asking the mocks nothing they cannot answer", () => {
    expect(ci.errors).toEqual([]);
    expect(production.errors).toEqual([]);
    expect(ci.unknownCalls).toEqual([]);
    expect(ci.outputs).toMatchObject({ domain: DOMAIN, cdn: `cdn.${DOMAIN}`, _protect: false });
    expect(production.outputs).toMatchObject({ domain: ROOT_DOMAIN, cdn: `cdn.${ROOT_DOMAIN}`, _protect: true });
  });

  it("passes every check of the stacks, on both stages", () => {
    expect(checkStage(ci, topology, DOMAIN)).toEqual([]);
    expect(checkStage(production, topology, ROOT_DOMAIN)).toEqual([]);
    // Ten users functions (six routes, three consumers, the outbox publisher), every one bundled from its handler.
    expect(users.map((f) => f.name).sort()).toEqual(
      [
        "UsersGetMe",
        "UsersGetUser",
        "UsersMediaProcessed",
        "UsersOutboxPublisher",
        "UsersPostCreated",
        "UsersRefresh",
        "UsersSignin",
        "UsersSignup",
        "UsersThreadCreated",
        "UsersUpdateMe",
      ].sort(),
    );
    // Every function of the system is bundled: the users functions and the four services' outbox publishers.
    const publishers = [
      "UsersOutboxPublisher",
      "ProductsOutboxPublisher",
      "ForumsOutboxPublisher",
      "MediaOutboxPublisher",
    ];
    expect(topology.outboxes.map((o) => o.function)).toEqual(publishers);
    expect(Object.keys(ci.builds).sort()).toEqual(topology.functions.map((f) => f.name).sort());
  });
});

describe("the users user pool and app client", () => {
  it("take the email as the username and ask a password for 8 characters, nothing more", () => {
    expect(pool().inputs).toMatchObject({
      usernameAttributes: ["email"],
      autoVerifiedAttributes: [],
      usernameConfiguration: { caseSensitive: false },
      passwordPolicy: {
        minimumLength: 8,
        requireLowercase: false,
        requireUppercase: false,
        requireNumbers: false,
        requireSymbols: false,
      },
    });
    const phone = breakResource(
      ci.resources,
      (r) => r.type === POOL,
      (i) => {
        i.usernameAttributes = ["phone_number"];
      },
    );
    expect(checkUserPool(phone, topology)).toEqual([`UsersUserPool: usernames are ["phone_number"], not the email`]);
    const verifying = breakResource(
      ci.resources,
      (r) => r.type === POOL,
      (i) => {
        i.autoVerifiedAttributes = ["email"];
      },
    );
    expect(checkUserPool(verifying, topology)).toEqual([
      "UsersUserPool: every sign-up emails a code through Cognito's default sender",
    ]);
    const strict = breakResource(
      ci.resources,
      (r) => r.type === POOL,
      (i) => {
        i.passwordPolicy = { minimumLength: 12, requireNumbers: true };
      },
    );
    expect(checkUserPool(strict, topology)).toEqual([
      "UsersUserPool: minimum password length 12, not 8",
      "UsersUserPool: password policy requireLowercase is not off",
      "UsersUserPool: password policy requireUppercase is not off",
      "UsersUserPool: password policy requireNumbers is not off",
      "UsersUserPool: password policy requireSymbols is not off",
    ]);
  });

  it("have one app client: USER_PASSWORD_AUTH and refresh only, no secret, existence errors hidden", () => {
    const client = one(ci.resources, CLIENT, "UsersUserPoolClientClient");
    expect(client.inputs.userPoolId).toBe(pool().physicalId);
    expect(client.inputs).toMatchObject({
      explicitAuthFlows: ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
      generateSecret: false,
      preventUserExistenceErrors: "ENABLED",
    });
    const wider = breakResource(
      ci.resources,
      (r) => r.type === CLIENT,
      (i) => {
        i.explicitAuthFlows = [...(i.explicitAuthFlows as string[]), "ALLOW_USER_SRP_AUTH"];
        i.generateSecret = true;
        i.preventUserExistenceErrors = "LEGACY";
      },
    );
    expect(checkAppClient(wider, topology)).toEqual([
      'UsersUserPoolClientClient: auth flows ["ALLOW_REFRESH_TOKEN_AUTH","ALLOW_USER_PASSWORD_AUTH","ALLOW_USER_SRP_AUTH"], expected exactly ALLOW_REFRESH_TOKEN_AUTH,ALLOW_USER_PASSWORD_AUTH',
      "UsersUserPoolClientClient: has a secret",
      "UsersUserPoolClientClient: tells whether an account exists (preventUserExistenceErrors is not ENABLED)",
    ]);
    const second = [...ci.resources, { ...client, name: "OtherClient", physicalId: "client-other" }];
    expect(checkAppClient(second, topology)).toEqual(["UsersUserPool: 2 app clients, expected 1"]);
    const orphan = [...ci.resources, { ...client, name: "OtherClient", inputs: { ...client.inputs, userPoolId: "x" } }];
    expect(checkAppClient(orphan, topology)).toEqual(["OtherClient: a client of no declared user pool"]);
  });

  it("are given as SST_RESOURCE_UsersUserPool (pool id and client id) to the users functions that link it, only", () => {
    const clientId = one(ci.resources, CLIENT, "UsersUserPoolClientClient").physicalId;
    const linking = users.filter((fn) => fn.links.includes("UsersUserPool")).map((fn) => fn.name);
    expect(linking.sort()).toEqual(["UsersRefresh", "UsersSignin", "UsersSignup"]);
    for (const fn of users) {
      const linked = JSON.parse(env(ci.resources, fn.name).SST_RESOURCE_UsersUserPool ?? "null");
      if (linking.includes(fn.name)) expect(linked, fn.name).toMatchObject({ id: pool().physicalId, clientId });
      else expect(linked, fn.name).toBeNull();
    }
    const stale = breakResource(
      ci.resources,
      (r) => r.name === lambdaName("UsersSignin"),
      (i) => {
        const vars = (i.environment as { variables: Record<string, string> }).variables;
        vars.SST_RESOURCE_UsersUserPool = JSON.stringify({ id: pool().physicalId, clientId: "client-old" });
      },
    );
    expect(checkUserPoolLinks(stale, topology)).toEqual([
      "UsersSignin: UsersUserPool clientId client-old is not the app client's",
    ]);
    const unlinked = breakResource(
      ci.resources,
      (r) => r.name === lambdaName("UsersSignup"),
      (i) => {
        delete (i.environment as { variables: Record<string, string> }).variables.SST_RESOURCE_UsersUserPool;
      },
    );
    expect(checkUserPoolLinks(unlinked, topology)).toEqual(["UsersSignup: SST_RESOURCE_UsersUserPool is not set"]);
    const overLinked = breakResource(
      ci.resources,
      (r) => r.name === lambdaName("UsersGetUser"),
      (i) => {
        const vars = (i.environment as { variables: Record<string, string> }).variables;
        vars.SST_RESOURCE_UsersUserPool = JSON.stringify({ id: pool().physicalId, clientId });
      },
    );
    expect(checkUserPoolLinks(overLinked, topology)).toEqual([
      "UsersGetUser (users) is given UsersUserPool, which it does not link",
    ]);
  });
});

describe("the users routes", () => {
  it("put GET and PATCH /users/me behind the Cognito authorizer with the access-token scope; the rest are open", () => {
    expect(
      topology.routes
        .filter((r) => r.service === "users" && r.auth)
        .map((r) => `${r.method} ${r.fullPath}`)
        .sort(),
    ).toEqual(["GET /users/me", "PATCH /users/me"]);
    for (const method of ["GET", "PATCH"])
      expect(ci.resources.find(usersMethod(method, "me"))?.inputs).toMatchObject({
        authorization: "COGNITO_USER_POOLS",
        authorizationScopes: ["aws.cognito.signin.user.admin"],
      });
    const authorizer = one(ci.resources, "aws:apigateway/authorizer:Authorizer", "UsersApiAuthorizerCognitoAuthorizer");
    expect(authorizer.inputs).toMatchObject({ type: "COGNITO_USER_POOLS", providerArns: [pool().arn] });

    const open = breakResource(ci.resources, usersMethod("GET", "me"), (i) => {
      i.authorization = "NONE";
      delete i.authorizerId;
      delete i.authorizationScopes;
    });
    expect(checkRoutes(open, topology)).toEqual([
      "GET /users/me: no Cognito authorizer",
      "GET /users/me: takes ID tokens (no aws.cognito.signin.user.admin scope)",
    ]);
    const closed = breakResource(ci.resources, usersMethod("GET", "{userId}"), (i) => {
      i.authorization = "COGNITO_USER_POOLS";
      i.authorizerId = authorizer.physicalId;
    });
    expect(checkRoutes(closed, topology)).toEqual([
      "GET /users/{userId}: is not open (authorization COGNITO_USER_POOLS)",
    ]);
    const foreignPool = breakResource(
      ci.resources,
      (r) => r.name === authorizer.name,
      (i) => {
        i.providerArns = ["arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_elsewhere"];
      },
    );
    expect(checkRoutes(foreignPool, topology)).toEqual([
      'GET /users/me: its authorizer trusts ["arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_elsewhere"], not the user pool',
      'PATCH /users/me: its authorizer trusts ["arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_elsewhere"], not the user pool',
    ]);
  });

  it("invoke each route's own function", () => {
    const getUser = one(ci.resources, "aws:lambda/function:Function", lambdaName("UsersGetUser"));
    const crossed = breakResource(
      ci.resources,
      (r) =>
        r.type === "aws:apigateway/integration:Integration" &&
        r.inputs.httpMethod === "GET" &&
        r.inputs.resourceId === ci.resources.find(usersMethod("GET", "me"))?.inputs.resourceId,
      (i) => {
        i.uri = String(i.uri).replace(/function:[^/]+/, `function:${getUser.inputs.name}`);
      },
    );
    expect(checkRoutes(crossed, topology)).toEqual(["GET /users/me: does not invoke UsersGetMe"]);
    const uninvokable = without(
      ci.resources,
      (r) => r.type === "aws:lambda/permission:Permission" && isOf(r.inputs.function, "UsersSignup", "Function"),
    );
    expect(checkRoutes(uninvokable, topology)).toEqual(["POST /users/signup: API Gateway may not invoke UsersSignup"]);
  });
});

describe("the users consumers", () => {
  it("take forums.ThreadCreated from the bus by a rule with the contract's pattern", () => {
    const sub = subscriptionOf("forums.ThreadCreated");
    expect(sub.delivery.kind).toBe("rule");
    const rules = ofType(ci.resources, "aws:cloudwatch/eventRule:EventRule").filter((r) => r.name.includes(sub.name));
    expect(rules).toHaveLength(1);
    expect(JSON.parse(String(rules[0]!.inputs.eventPattern))).toEqual({
      source: ["summit.forums"],
      "detail-type": ["forums.ThreadCreated"],
    });
    const target = ofType(ci.resources, "aws:cloudwatch/eventTarget:EventTarget").find(
      (t) => t.inputs.rule === rules[0]!.inputs.name,
    );
    expect(isOf(target?.inputs.arn, "UsersThreadCreated", "Function")).toBe(true);
    const invokeConfig = ofType(ci.resources, "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig").find(
      (c) => isOf(c.inputs.functionName, "UsersThreadCreated", "Function"),
    );
    const onFailure = (invokeConfig?.inputs.destinationConfig as { onFailure?: { destination?: string } } | undefined)
      ?.onFailure?.destination;
    expect(isOf(onFailure, "UsersThreadCreatedDlq", "Queue")).toBe(true);

    const mistargeted = breakResource(
      ci.resources,
      (r) => r.name === target?.name,
      (i) => {
        i.arn = one(ci.resources, "aws:lambda/function:Function", lambdaName("UsersMediaProcessed")).arn;
      },
    );
    expect(checkConsumerWiring(mistargeted, topology)).toEqual([
      `${sub.name}: its rule does not target UsersThreadCreated alone`,
    ]);
  });

  it("take media.MediaProcessed from its topic through the contract's filter policy", () => {
    const sub = subscriptionOf("media.MediaProcessed");
    expect(sub.delivery).toMatchObject({ kind: "topic", topic: "MediaMediaProcessedTopic" });
    const subscriptions = ofType(ci.resources, "aws:sns/topicSubscription:TopicSubscription").filter((s) =>
      s.name.includes(sub.name),
    );
    expect(subscriptions).toHaveLength(1);
    const { inputs } = subscriptions[0]!;
    expect(JSON.parse(String(inputs.filterPolicy))).toEqual({ eventType: ["media.MediaProcessed"] });
    expect(isOf(inputs.topic, "MediaMediaProcessedTopic", "Topic")).toBe(true);
    expect(inputs.protocol).toBe("lambda");
    expect(isOf(inputs.endpoint, "UsersMediaProcessed", "Function")).toBe(true);

    const unpermitted = without(
      ci.resources,
      (r) =>
        r.type === "aws:lambda/permission:Permission" &&
        r.inputs.principal === "sns.amazonaws.com" &&
        isOf(r.inputs.function, "UsersMediaProcessed", "Function"),
    );
    expect(checkConsumerWiring(unpermitted, topology)).toEqual([`${sub.name}: SNS may not invoke UsersMediaProcessed`]);
  });

  it("read forums.PostCreated from the post stream: bisect, on-failure DLQ, partial batch responses", () => {
    const sub = subscriptionOf("forums.PostCreated");
    expect(sub.delivery).toMatchObject({ kind: "stream", stream: "ForumsPostCreatedStream" });
    const mappings = ofType(ci.resources, ESM).filter((m) => m.name.includes(sub.name));
    expect(mappings).toHaveLength(1);
    const { inputs } = mappings[0]!;
    expect(isOf(inputs.eventSourceArn, "ForumsPostCreatedStream", "Stream")).toBe(true);
    expect(isOf(inputs.functionName, "UsersPostCreated", "Function")).toBe(true);
    expect(inputs).toMatchObject({
      bisectBatchOnFunctionError: true,
      functionResponseTypes: ["ReportBatchItemFailures"],
      startingPosition: "TRIM_HORIZON",
      batchSize: 100,
      maximumRetryAttempts: 2,
      filterCriteria: { filters: [{ pattern: JSON.stringify({ data: { type: ["forums.PostCreated"] } }) }] },
    });
    const destination = (inputs.destinationConfig as { onFailure: { destinationArn: string } }).onFailure;
    expect(isOf(destination.destinationArn, "UsersPostCreatedDlq", "Queue")).toBe(true);

    const products = one(ci.resources, "aws:kinesis/stream:Stream", "ProductsProductViewedStreamStream");
    const wrongStream = breakResource(
      ci.resources,
      (r) => r.type === ESM,
      (i) => {
        i.eventSourceArn = products.arn;
      },
    );
    // Every consumer of the post stream loses its source (the forums counters read it too).
    expect(checkConsumerWiring(wrongStream, topology)).toEqual([
      `${sub.name}: no event source from ForumsPostCreatedStream into UsersPostCreated`,
      "ForumsPostCreatedPostCreated: no event source from ForumsPostCreatedStream into ForumsPostCreated",
    ]);
    const fragile = breakResource(
      ci.resources,
      (r) => r.type === ESM && r.name === mappings[0]!.name,
      (i) => {
        i.bisectBatchOnFunctionError = false;
        delete i.destinationConfig;
        i.functionResponseTypes = [];
      },
    );
    expect(checkFailureHandling(fragile, topology)).toEqual([
      `${sub.name}: stream failures do not go to UsersPostCreatedDlq`,
      `${sub.name}: a failing batch is not bisected`,
    ]);
    expect(checkBatchResponses(fragile, topology)).toEqual([`${mappings[0]!.name}: no partial batch responses`]);
  });
});

describe("the media bytes", () => {
  it("install sharp into the worker's package for its Lambda's architecture, never bundled", () => {
    expect(checkNativePackages(ci, topology)).toEqual([]);
    const worker = topology.functions.find((f) => f.install?.includes("sharp"))!;
    expect(worker.name).toBe("MediaWorker");
    const built = ci.installs[worker.name]!;
    expect(checkNativePackages({ ...ci, installs: {} }, topology)).toEqual([
      "MediaWorker: sharp not installed into its package",
    ]);
    const arm = { ...ci, installs: { ...ci.installs, MediaWorker: { ...built, architecture: "arm64" } } };
    expect(checkNativePackages(arm, topology)).toEqual([
      "MediaWorker: packages installed for arm64, Lambda runs x86_64",
    ]);
    const bundled = { ...ci, installs: { ...ci.installs, MediaWorker: { ...built, bundled: ["sharp"] } } };
    expect(checkNativePackages(bundled, topology)).toEqual(["MediaWorker: sharp bundled, not installed"]);
  });

  it("hand SST's build the one definition the local runtime bundles with, every option explicit", () => {
    expect(checkBundling(ci, topology)).toEqual([]);
    expect(checkBundling(production, topology)).toEqual([]);
    const signup = ci.nodejs.UsersSignup!;
    expect(signup).toEqual({
      runtime: "nodejs22.x",
      nodejs: {
        format: "esm",
        minify: true,
        splitting: true,
        esbuild: { target: "es2023", keepNames: false, mainFields: ["main", "module"] },
      },
    });
    expect(ci.nodejs.MediaWorker!.nodejs.install).toEqual({ sharp: "*" });
    const changed = (fn: string, change: (nodejs: Record<string, unknown>) => void) => {
      const copy = structuredClone(ci.nodejs[fn]!) as { runtime: string; nodejs: Record<string, unknown> };
      change(copy.nodejs);
      return { nodejs: { ...ci.nodejs, [fn]: copy } };
    };
    // Left to SST's defaults: unminified, keepNames on, `module` first.
    const defaults = changed("UsersSignup", (n) => {
      delete n.minify;
      delete n.esbuild;
    });
    expect(checkBundling(defaults, topology)).toEqual([
      "UsersSignup: minify unset, expected true",
      'UsersSignup: esbuild.target unset, expected "es2023"',
      "UsersSignup: esbuild.keepNames unset, expected false",
      'UsersSignup: esbuild.mainFields unset, expected ["main","module"]',
    ]);
    // A Node target SST would ignore, a banner of our own after SST's, CommonJS, no splitting.
    const node22 = changed("UsersSignin", (n) => {
      n.esbuild = { ...(n.esbuild as object), target: "node22" };
      n.banner = "const require = 1;";
      n.format = "cjs";
      n.splitting = false;
    });
    expect(checkBundling(node22, topology)).toEqual([
      'UsersSignin: format "cjs", expected "esm"',
      "UsersSignin: splitting false, expected true",
      'UsersSignin: esbuild.target "node22", expected "es2023"',
      "UsersSignin: a banner after SST's own, which already declares require",
    ]);
    // sharp bundled into the worker, installed into a function that never declared it, a function never built.
    const sharp = changed("MediaWorker", (n) => {
      delete n.install;
    });
    expect(checkBundling(sharp, topology)).toEqual(['MediaWorker: install [], expected ["sharp"]']);
    const extra = changed("UsersGetMe", (n) => {
      n.install = { sharp: "*" };
    });
    expect(checkBundling(extra, topology)).toEqual(['UsersGetMe: install ["sharp"], expected []']);
    const { UsersRefresh: _refresh, ...rest } = ci.nodejs;
    expect(checkBundling({ nodejs: rest }, topology)).toEqual(["UsersRefresh: never built"]);
    const older = changed("UsersRefresh", () => undefined);
    older.nodejs.UsersRefresh = { ...older.nodejs.UsersRefresh!, runtime: "nodejs20.x" };
    expect(checkBundling(older, topology)).toEqual([
      "UsersRefresh: built for nodejs20.x, the definition is for nodejs22.x",
    ]);
  });

  it("live in a private, encrypted bucket that takes browsers' presigned PUTs and drops incomplete uploads", () => {
    expect(checkBuckets(ci.resources, topology)).toEqual([]);
    const open = breakResource(
      ci.resources,
      (r) => r.type === "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock" && r.name.startsWith("MediaBucket"),
      (i) => {
        i.restrictPublicBuckets = false;
      },
    );
    expect(checkBuckets(open, topology)).toEqual(["MediaBucket: public access not blocked (restrictPublicBuckets)"]);
    const plain = without(ci.resources, (r) => r.type.endsWith("BucketServerSideEncryptionConfiguration"));
    expect(checkBuckets(plain, topology)).toEqual(["MediaBucket: not encrypted by default"]);
    const hoarding = without(ci.resources, (r) => r.type.endsWith("BucketLifecycleConfiguration"));
    expect(checkBuckets(hoarding, topology)).toEqual(["MediaBucket: incomplete uploads are kept"]);
    const permissive = breakResource(
      ci.resources,
      (r) => r.type.endsWith("BucketCorsConfiguration"),
      (i) => {
        i.corsRules = (i.corsRules as Record<string, unknown>[]).map((rule) => ({
          ...rule,
          allowedMethods: ["PUT", "DELETE"],
        }));
      },
    );
    expect(checkBuckets(permissive, topology)).toEqual(["MediaBucket: CORS allows more than uploads and reads"]);
  });
});

describe("the services' tables", () => {
  it("have the keys and indexes their services declare, KEYS_ONLY where declared", () => {
    expect(checkIndexes(ci.resources, topology)).toEqual([]);
    const forums = (r: SynthResource) => r.name === "ForumsTableTable";
    const copied = breakResource(ci.resources, forums, (i) => {
      i.globalSecondaryIndexes = (i.globalSecondaryIndexes as Record<string, unknown>[]).map((g) => ({
        ...g,
        projectionType: "ALL",
      }));
    });
    expect(checkIndexes(copied, topology)).toEqual([
      "table ForumsTable: index byList projects ALL, not KEYS_ONLY",
      "table ForumsTable: index byActivity projects ALL, not KEYS_ONLY",
    ]);
    const scanning = breakResource(
      ci.resources,
      (r) => r.name === "ProductsTableTable",
      (i) => {
        i.globalSecondaryIndexes = (i.globalSecondaryIndexes as Record<string, unknown>[]).filter(
          (g) => g.name !== "byCategory",
        );
      },
    );
    expect(checkIndexes(scanning, topology)).toEqual([
      "table ProductsTable: 2 indexes, 3 declared",
      "table ProductsTable: no index byCategory",
    ]);
    const rekeyed = breakResource(ci.resources, forums, (i) => {
      i.globalSecondaryIndexes = (i.globalSecondaryIndexes as Record<string, unknown>[]).map((g) =>
        g.name === "byRank" ? { ...g, rangeKey: "posts" } : g,
      );
    });
    expect(checkIndexes(rekeyed, topology)).toEqual(["table ForumsTable: index byRank is not on rankPk/rankSk"]);
  });
});

describe("the users data", () => {
  const table = () => one(ci.resources, "aws:dynamodb/table:Table", "UsersTableTable");

  it("is reachable by the users functions that link it and nothing else", () => {
    const reaching = (arn: string) =>
      ofType(ci.resources, ROLE)
        .filter((r) => JSON.stringify(r.inputs.inlinePolicies ?? []).includes(arn))
        .map((r) => r.name.replace(/Role$/, ""))
        .sort();
    const linking = (resource: string) =>
      users
        .filter((f) => f.links.includes(resource))
        .map((f) => f.name)
        .sort();
    // Every users function but sign-in and refresh reads the table; only sign-up, sign-in and refresh call Cognito.
    expect(linking("UsersTable")).toHaveLength(users.length - 2);
    expect(linking("UsersUserPool")).toEqual(["UsersRefresh", "UsersSignin", "UsersSignup"]);
    expect(reaching(table().arn!)).toEqual(linking("UsersTable"));
    expect(reaching(pool().arn!)).toEqual(linking("UsersUserPool"));

    const outsider = grant(ci.resources, "APIGatewayPushToCloudWatchLogsRole", {
      Effect: "Allow",
      Action: ["dynamodb:GetItem"],
      Resource: [`${table().arn}/index/*`],
    });
    expect(checkOwnership(outsider, topology)).toEqual([
      "APIGatewayPushToCloudWatchLogsRole (no function) may reach UsersTable, which is users's",
    ]);
    const wildcard: SynthResource = {
      type: "aws:iam/rolePolicy:RolePolicy",
      name: "ProductsReportsPolicy",
      custom: true,
      inputs: {
        role: "summit-ci-ProductsReportsRole-abcdefgh",
        policy: JSON.stringify({
          Statement: [
            { Effect: "Allow", Action: "cognito-idp:ListUsers", Resource: "*" },
            { Effect: "Allow", Action: "dynamodb:Query", Resource: "arn:aws:dynamodb:us-east-1:123456789012:table/*" },
            { Effect: "Allow", Action: "sqs:*", Resource: "*" },
          ],
        }),
      },
    };
    expect(checkOwnership([...ci.resources, wildcard], topology)).toEqual([
      "summit-ci-ProductsReportsRole-abcdefgh (no function) may reach UsersUserPool, which is users's",
      "summit-ci-ProductsReportsRole-abcdefgh (no function) may reach UsersTable, which is users's",
      "summit-ci-ProductsReportsRole-abcdefgh (no function) may reach ProductsTable, which is products's",
      "summit-ci-ProductsReportsRole-abcdefgh (no function) may reach ForumsTable, which is forums's",
      "summit-ci-ProductsReportsRole-abcdefgh (no function) may reach MediaTable, which is media's",
    ]);
  });

  it("lets only Lambda assume the users functions' roles", () => {
    const trusting = breakResource(
      ci.resources,
      (r) => r.type === ROLE && r.name === "UsersSignupRole",
      (i) => {
        const doc = JSON.parse(String(i.assumeRolePolicy)) as { Statement: { Principal: Record<string, unknown> }[] };
        doc.Statement[0]!.Principal.AWS = ["arn:aws:iam::123456789012:root"];
        i.assumeRolePolicy = JSON.stringify(doc);
      },
    );
    expect(checkRoleTrust(trusting, topology)).toEqual([
      'UsersSignup: its role trusts ["Service:lambda.amazonaws.com","AWS:arn:aws:iam::123456789012:root"]',
    ]);
  });

  it("survives in production: the table and the pool are retained and protected from deletion", () => {
    const prodPool = one(production.resources, POOL, "UsersUserPoolUserPool");
    expect(prodPool.inputs.deletionProtection).toBe("ACTIVE");
    expect(production.retained).toEqual(
      expect.arrayContaining([`${POOL} UsersUserPoolUserPool`, "aws:dynamodb/table:Table UsersTableTable"]),
    );
    expect(pool().inputs.deletionProtection).toBe("INACTIVE");
    expect(table().inputs.deletionProtectionEnabled).toBe(false);

    const unprotected = {
      ...production,
      resources: breakResource(
        production.resources,
        (r) => r.type === POOL,
        (i) => {
          i.deletionProtection = "INACTIVE";
        },
      ),
      retained: production.retained.filter((r) => !r.startsWith(POOL)),
    };
    expect(checkRetention(unprotected)).toEqual([
      "UsersUserPoolUserPool is not retained on delete",
      "UsersUserPoolUserPool: deletion protection is INACTIVE",
    ]);
  });
});

describe("the CDN in front of the API (products has cached routes)", () => {
  const DISTRIBUTION = "aws:cloudfront/distribution:Distribution";
  const CACHE_POLICY = "aws:cloudfront/cachePolicy:CachePolicy";
  const apiCdn = (r: SynthResource) => r.type === DISTRIBUTION && r.name === "ApiCdnDistribution";
  const cachePolicy = (r: SynthResource) => r.type === CACHE_POLICY && r.name === "ApiCdnCachePolicy";
  type Behaviour = Record<string, unknown>;
  const breakDistribution = (change: (inputs: Record<string, unknown>) => void) =>
    breakResource(ci.resources, apiCdn, change);
  const breakPolicy = (change: (inputs: Record<string, unknown>) => void) =>
    breakResource(ci.resources, cachePolicy, change);

  it("stands on cdn.<stage domain> with the API domain as its one origin, HTTPS only", () => {
    expect(checkCdn(ci.resources, topology)).toEqual([]);
    expect(checkCdn(production.resources, topology)).toEqual([]);
    const distribution = one(ci.resources, DISTRIBUTION, "ApiCdnDistribution");
    expect(distribution.inputs.aliases).toEqual([`cdn.${DOMAIN}`]);
    expect(distribution.inputs.origins).toEqual([
      expect.objectContaining({
        domainName: DOMAIN,
        customOriginConfig: expect.objectContaining({ originProtocolPolicy: "https-only" }),
      }),
    ]);
    // The API itself is untouched: its domain and base-path mappings are the ones checkDomain expects.
    expect(checkDomain(ci.resources, topology, DOMAIN)).toEqual([]);

    const elsewhere = breakDistribution((i) => {
      i.origins = (i.origins as Behaviour[]).map((o) => ({
        ...o,
        domainName: "d-mock.execute-api.us-east-1.amazonaws.com",
      }));
    });
    expect(checkCdn(elsewhere, topology)).toEqual([`0 distributions in front of ${DOMAIN}`]);
    const plain = breakDistribution((i) => {
      i.origins = (i.origins as Behaviour[]).map((o) => ({
        ...o,
        customOriginConfig: { ...(o.customOriginConfig as Behaviour), originProtocolPolicy: "match-viewer" },
      }));
    });
    expect(checkCdn(plain, topology)).toEqual(["the origin is reached by match-viewer, not HTTPS only"]);
    // Without cached routes there is no CDN in front of the API (the media bucket's own CDN is another origin).
    const uncached = { ...topology, routes: topology.routes.filter((r) => !r.definition.cache) };
    expect(checkCdn(ci.resources, uncached)).toEqual([`a CDN in front of ${DOMAIN}, but no route declares cache`]);
    expect(checkCdn(without(ci.resources, apiCdn), uncached)).toEqual([]);
    expect(checkCdn(without(ci.resources, apiCdn), topology)).toEqual([`0 distributions in front of ${DOMAIN}`]);
  });

  it("takes the cached routes' TTLs from the origin's Cache-Control, min and default 0", () => {
    const { inputs } = one(ci.resources, CACHE_POLICY, "ApiCdnCachePolicy");
    expect(inputs).toMatchObject({ minTtl: 0, defaultTtl: 0, maxTtl: 86_400 });
    const floor = breakPolicy((i) => {
      i.minTtl = 60;
    });
    expect(checkCdn(floor, topology)).toContain(
      "GET /products/{productId}: minimum TTL 60, not 0 (the origin's private/no-store rule)",
    );
    const keeps = breakPolicy((i) => {
      i.defaultTtl = 86_400;
    });
    expect(checkCdn(keeps, topology)).toContain(
      "GET /products: default TTL 86400: answers without caching headers kept",
    );
    const never = breakPolicy((i) => {
      i.maxTtl = 0;
    });
    expect(checkCdn(never, topology)).toContain("GET /products/popular: maximum TTL 0: s-maxage is never honoured");
    // A cached route left on the uncached default behaviour is no CDN at all.
    const uncached = breakDistribution((i) => {
      i.orderedCacheBehaviors = [];
    });
    expect(checkCdn(uncached, topology)).toEqual(
      expect.arrayContaining([expect.stringMatching(/^GET \/products\/\{productId\}: not cached/)]),
    );
  });

  it("keys on the path and query strings only: no Authorization, no cookie; authorized GETs are never cached", () => {
    const { inputs } = one(ci.resources, CACHE_POLICY, "ApiCdnCachePolicy");
    expect(inputs.parametersInCacheKeyAndForwardedToOrigin).toMatchObject({
      headersConfig: { headerBehavior: "none" },
      cookiesConfig: { cookieBehavior: "none" },
      queryStringsConfig: { queryStringBehavior: "all" },
    });
    const keyed = breakPolicy((i) => {
      i.parametersInCacheKeyAndForwardedToOrigin = {
        ...(i.parametersInCacheKeyAndForwardedToOrigin as Behaviour),
        headersConfig: { headerBehavior: "whitelist", headers: { items: ["Authorization"] } },
      };
    });
    expect(checkCdn(keyed, topology)).toContain(
      'GET /products: headers in the cache key (whitelist ["authorization"])',
    );
    // GET /users/me needs a token: it must sit on the default, uncached behaviour, not on a caching one.
    const cachesAll = breakDistribution((i) => {
      i.defaultCacheBehavior = { ...(i.defaultCacheBehavior as Behaviour), cachePolicyId: "ApiCdnCachePolicy-id" };
    });
    expect(checkCdn(cachesAll, topology)).toContain(
      "GET /users/me needs a token but is behind cache policy ApiCdnCachePolicy-id",
    );
    // Authorization must still reach the API (an all-viewer-headers policy, Host left out for API Gateway).
    const stripped = breakDistribution((i) => {
      i.defaultCacheBehavior = { ...(i.defaultCacheBehavior as Behaviour), originRequestPolicyId: undefined };
    });
    expect(checkCdn(stripped, topology)).toEqual([
      "the default behaviour does not forward Authorization (all viewer headers but Host)",
    ]);
  });

  it("lets every method through, redirects HTTP to HTTPS and caches no error", () => {
    const readOnly = breakDistribution((i) => {
      i.defaultCacheBehavior = { ...(i.defaultCacheBehavior as Behaviour), allowedMethods: ["GET", "HEAD"] };
    });
    expect(checkCdn(readOnly, topology)).toEqual(['the default behaviour allows ["GET","HEAD"]']);
    const http = breakDistribution((i) => {
      i.orderedCacheBehaviors = (i.orderedCacheBehaviors as Behaviour[]).map((b) => ({
        ...b,
        viewerProtocolPolicy: "allow-all",
      }));
    });
    expect(checkCdn(http, topology).every((p) => p.endsWith("lets viewers use allow-all"))).toBe(true);
    expect(checkCdn(http, topology).length).toBeGreaterThan(0);
    const cachedErrors = breakDistribution((i) => {
      i.customErrorResponses = (i.customErrorResponses as Behaviour[]).filter((e) => e.errorCode !== 404);
    });
    expect(checkCdn(cachedErrors, topology)).toEqual(["404 answers are cached for 10 (default) s"]);
    const tenSeconds = breakDistribution((i) => {
      i.customErrorResponses = (i.customErrorResponses as Behaviour[]).map((e) =>
        e.errorCode === 503 ? { ...e, errorCachingMinTtl: 10 } : e,
      );
    });
    expect(checkCdn(tenSeconds, topology)).toEqual(["503 answers are cached for 10 s"]);
  });
});
