import type { Logger } from "@aws-lambda-powertools/logger";
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { MiddlewareObj } from "@middy/core";
import type { APIGatewayProxyResult, Context } from "aws-lambda";
import { logger as defaultLogger } from "../logging/index.js";
import { exchangeFor, type HttpEvent, type HttpExchange } from "./exchange.js";
import { requestFingerprint } from "./fingerprint.js";
import type { IdempotencyStore } from "./IdempotencyStore.js";
import { answerFor, badRequest, HttpProblem } from "./problem.js";
import { type HttpResult, toProblemResult } from "./result.js";

export interface IdempotencyOptions {
  /** The linked table resource (`SST_RESOURCE_<table>`) that keeps the records: the service's own table. */
  readonly table: string;
  /** How long a key is remembered (DynamoDB TTL on `expiresAt`). */
  readonly ttlSeconds?: number;
  /** How long a claim blocks others when the invocation's remaining time is unknown. */
  readonly lockSeconds?: number;
  /** The document client; the production default is created on first use and traced. */
  readonly client?: DynamoDBDocumentClient | (() => DynamoDBDocumentClient);
  /** The clock, in epoch milliseconds. */
  readonly now?: () => number;
  readonly logger?: Pick<Logger, "warn" | "error">;
}

const defaults = {
  ttlSeconds: 24 * 60 * 60,
  lockSeconds: 30,
  // Loaded with the store on the first keyed request: a route without idempotency never bundles DynamoDB for it.
  client: undefined as IdempotencyOptions["client"],
  now: Date.now,
  logger: defaultLogger,
} satisfies Omit<IdempotencyOptions, "table">;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// A few rounds are enough: a claim only fails again if another request changed the record in between.
const CLAIM_ATTEMPTS = 3;

function inProgress(retryAfterSeconds: number): HttpProblem {
  return new HttpProblem("idempotency-in-progress", "a request with this idempotency-key is still being processed", {
    headers: { "retry-after": String(Math.max(1, retryAfterSeconds)) },
  });
}

type Request = {
  event: HttpEvent;
  context: Context;
  response: APIGatewayProxyResult | null | undefined;
  error: unknown;
};

/**
 * At-least-once safe POSTs (the IETF `Idempotency-Key` header draft): the first request with a key claims it and
 * its response (2xx or 4xx) is stored; a repeat with the same key and body gets that response again without the
 * handler running; the same key with another body is a 422; a repeat while the first still runs is a 409 with
 * `retry-after`. A 5xx releases the claim so that a retry can run.
 *
 * A replay is left on the exchange for the route to return, not returned early: middy skips every `after` phase
 * on an early return (the trace subsegment would stay open and the response headers would be missing).
 *
 * @example
 * ```ts
 * middy(route).use(requestValidation({ body })).use(idempotency({ table: "UsersTable" }));
 * ```
 */
export function idempotency(options: IdempotencyOptions): MiddlewareObj<HttpEvent, APIGatewayProxyResult> {
  const { table, ttlSeconds, lockSeconds, client, now, logger } = { ...defaults, ...options };
  if (typeof table !== "string" || table === "") throw new TypeError("idempotency: table must name a linked resource");
  for (const [name, value] of Object.entries({ ttlSeconds, lockSeconds })) {
    if (!Number.isSafeInteger(value) || value < 1)
      throw new TypeError(`idempotency: ${name} must be a positive whole number`);
  }
  if (typeof now !== "function") throw new TypeError("idempotency: now must be a function");

  let store: IdempotencyStore | undefined;
  // Loaded on first use, not at init; the table's name is read from the invocation's environment on each call.
  const storeOf = async (): Promise<IdempotencyStore> => {
    if (store) return store;
    const [{ IdempotencyStore: Store }, { IDEMPOTENCY_TABLE, tableOf }] = await Promise.all([
      import("./IdempotencyStore.js"),
      import("../data/index.js"),
    ]);
    store = new Store(tableOf(table, IDEMPOTENCY_TABLE, client ? { client } : {}));
    return store;
  };

  const finish = async (exchange: HttpExchange, result: HttpResult): Promise<void> => {
    const claim = exchange.idempotencyClaim;
    if (!claim) return;
    exchange.idempotencyClaim = undefined;
    try {
      // A fault, or an answer that says "try again" (a 409 lost race, a 429 throttle, anything with `retry-after`),
      // is not the request's result: the claim is released so the client's retry with the same key runs again.
      if (result.statusCode >= 500 || isTryAgain(result)) {
        await (await storeOf()).release(claim.key, claim.claimId);
        return;
      }
      const fingerprint = claim.fingerprint;
      const expiresAt = Math.floor(now() / 1000) + ttlSeconds;
      const kept = await (await storeOf()).complete(claim.key, claim.claimId, fingerprint, result, expiresAt);
      if (!kept) logger.warn("idempotency claim was taken over before completion", { idempotency_key: claim.key });
    } catch (error) {
      // The client still gets the real result; the claim lapses with its lock and a retry may run again.
      logger.error("idempotency record could not be written", { error, idempotency_key: claim.key });
    }
  };

  const idempotencyBefore = async (request: Request): Promise<void> => {
    const exchange = exchangeFor(request);
    // The contract makes POST idempotent on demand; other methods are idempotent by definition (RFC 9110 §9.2.2) or not covered.
    if (exchange.method !== "POST") return;
    const sent = exchange.headers["idempotency-key"];
    if (sent === undefined) return;
    const key = sent.trim();
    if (!UUID.test(key)) {
      throw badRequest("the idempotency-key header must be a UUID", [
        { path: "headers.idempotency-key", message: "must be a UUID" },
      ]);
    }
    const route = `${exchange.method} ${exchange.event.resource ?? exchange.event.path}`;
    const pk = `IDEMPOTENCY#${route}#${key.toLowerCase()}`;
    const fingerprint = requestFingerprint(exchange.method, exchange.event.path ?? "", exchange.json?.value);
    const remaining = request.context?.getRemainingTimeInMillis?.();
    const lockMs = typeof remaining === "number" && remaining > 0 ? remaining : lockSeconds * 1000;

    for (let attempt = 0; attempt < CLAIM_ATTEMPTS; attempt++) {
      const nowMs = now();
      const outcome = await (await storeOf()).claim(pk, fingerprint, { nowMs, lockMs, ttlSeconds });
      if ("claimId" in outcome) {
        exchange.idempotencyClaim = { key: pk, claimId: outcome.claimId, fingerprint };
        return;
      }
      const existing = outcome.existing;
      if (!existing) continue; // released between our put and our read
      if (existing.fingerprint !== fingerprint) {
        throw new HttpProblem("idempotency-key-reused", "this idempotency-key was already used with another request");
      }
      if (existing.state === "COMPLETED") {
        exchange.replay = existing.response;
        return;
      }
      if (existing.lockExpiresAt > nowMs) throw inProgress(Math.ceil((existing.lockExpiresAt - nowMs) / 1000));
    }
    throw inProgress(1);
  };

  const idempotencyAfter = async (request: Request): Promise<void> => {
    const exchange = exchangeFor(request);
    const response = request.response;
    if (!exchange.idempotencyClaim || !response) return;
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(response.headers ?? {})) headers[name] = String(value);
    await finish(exchange, { statusCode: response.statusCode, headers, body: response.body });
  };

  // Runs before the problem mapping (registered after it): maps the error the same way to know what to keep.
  const idempotencyOnError = async (request: Request): Promise<void> => {
    const exchange = exchangeFor(request);
    if (!exchange.idempotencyClaim) return;
    await finish(exchange, toProblemResult(answerFor(request.error)));
  };

  return { before: idempotencyBefore, after: idempotencyAfter, onError: idempotencyOnError };
}

/** An answer the client is told to retry: it must not become the key's stored result. */
function isTryAgain(result: HttpResult): boolean {
  if (result.statusCode === 429) return true;
  const retryAfter = Object.keys(result.headers).some((name) => name.toLowerCase() === "retry-after");
  return result.statusCode === 409 && retryAfter;
}
