import {
  Agent,
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  request,
  type ServerResponse,
} from "node:http";
import type { AddressInfo } from "node:net";
import type { Readable } from "node:stream";
import { buildApp } from "fauxqs";
import { closeHttpServer, listenOnLoopback, readBody } from "./httpServer.js";
import { LOOPBACK } from "./ports.js";
import {
  type DestinationKind,
  escapeXml,
  type NotificationDestinations,
  newRequestIds,
  type ObjectCreatedEventName,
  renderNotificationConfiguration,
  S3Notifications,
  S3RequestError,
} from "./s3Notifications.js";
import { checkPresigned, isPresigned, type SecretLookup, secretIsKeyId } from "./s3Presigned.js";
import { QueueUrlTranslator } from "./sqsQueueUrls.js";
import { SqsRequestError, SqsTraceHeaders } from "./sqsTraceHeader.js";

/**
 * SQS, SNS and S3 on one endpoint: fauxqs 1.9.2 (pinned) on a private loopback port, behind a small HTTP proxy
 * on the published port that fills fauxqs's gaps from the outside, without touching its internals:
 * - SQS (AWS JSON 1.0, `X-Amz-Target: AmazonSQS.*`, the only SQS protocol fauxqs speaks): queue URLs that resolve
 *   (see sqsQueueUrls.ts) and the `AWSTraceHeader` system attribute (see sqsTraceHeader.ts);
 * - S3: bucket notification configurations and the notifications themselves (see s3Notifications.ts), and the
 *   signature and expiry of presigned requests, signed headers included (see s3Presigned.ts).
 * Everything else (SNS, the rest of S3 and SQS) streams through unchanged.
 */
export interface MessagingEmulator {
  /** `http://127.0.0.1:<port>`, for SQS, SNS and S3 alike */
  readonly endpoint: string;
  readonly port: number;
  stop(): Promise<void>;
}

export interface MessagingOptions {
  region: string;
  log?: (line: string) => void;
  /** The secret of each access key, for presigned S3 requests (default: the secret is the key id). */
  s3Secrets?: SecretLookup;
}

type Json = Record<string, unknown>;

interface Upstream {
  call(method: string, path: string, headers: IncomingHttpHeaders, body?: Buffer | Readable): Promise<IncomingMessage>;
}

const HOP_BY_HOP = new Set(["connection", "keep-alive", "transfer-encoding", "content-length"]);
/** PUT subresources that do not create an object (fauxqs does not serve most of them, but they are no creation). */
const NON_CREATING_PUT = ["uploadId", "partNumber", "tagging", "acl", "retention", "legal-hold"];

function passHeaders(headers: IncomingHttpHeaders): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined && !HOP_BY_HOP.has(name)) out[name] = value;
  }
  return out;
}

function send(
  res: ServerResponse,
  status: number,
  headers: Record<string, string | string[]>,
  body: Buffer | string,
): void {
  const bytes = typeof body === "string" ? Buffer.from(body) : body;
  res.writeHead(status, { ...headers, "content-length": String(bytes.length) });
  res.end(bytes);
}

/** A fake SigV4 Authorization header: fauxqs reads the region from its credential scope. */
function authorizationFor(region: string, service: string): string {
  return `AWS4-HMAC-SHA256 Credential=test/20240101/${region}/${service}/aws4_request, SignedHeaders=host, Signature=0`;
}

interface S3Target {
  bucket: string;
  key: string;
  query: URLSearchParams;
}

/** Bucket and key of an S3 request, path style or virtual-hosted style (the same rule fauxqs routes by). */
function s3Target(req: IncomingMessage): S3Target | undefined {
  const contentType = req.headers["content-type"] ?? "";
  if (contentType.includes("x-www-form-urlencoded") || contentType.includes("x-amz-json")) return undefined;
  const url = new URL(req.url ?? "/", "http://placeholder");
  const hostname = (req.headers.host ?? "").split(":")[0] ?? "";
  const virtualHosted = hostname.includes(".") && !/^\d+\.\d+\.\d+\.\d+$/.test(hostname);
  const path = url.pathname.slice(1);
  const slash = path.indexOf("/");
  const [bucket, rawKey] = virtualHosted
    ? [hostname.slice(0, hostname.indexOf(".")), path]
    : slash === -1
      ? [path, ""]
      : [path.slice(0, slash), path.slice(slash + 1)];
  if (!bucket) return undefined;
  try {
    return { bucket: decodeURIComponent(bucket), key: decodeURIComponent(rawKey), query: url.searchParams };
  } catch {
    return undefined;
  }
}

function creationEvent(
  method: string,
  target: S3Target,
  headers: IncomingHttpHeaders,
): ObjectCreatedEventName | undefined {
  if (!target.key) return undefined;
  if (method === "PUT" && !NON_CREATING_PUT.some((name) => target.query.has(name))) {
    return headers["x-amz-copy-source"] ? "ObjectCreated:Copy" : "ObjectCreated:Put";
  }
  if (method === "POST" && target.query.has("uploadId")) return "ObjectCreated:CompleteMultipartUpload";
  return undefined;
}

/** The requester's access key id, from a signed header or a presigned URL. */
function principalOf(req: IncomingMessage, query: URLSearchParams): string {
  const fromHeader = /Credential=([^/]+)\//.exec(req.headers.authorization ?? "")?.[1];
  const accessKey = fromHeader ?? query.get("X-Amz-Credential")?.split("/")[0];
  return accessKey ? `AWS:${accessKey}` : "anonymous";
}

function objectPath(bucket: string, key: string): string {
  return `/${encodeURIComponent(bucket)}/${key.split("/").map(encodeURIComponent).join("/")}`;
}

function s3ErrorXml(error: S3RequestError, requestId: string): string {
  const argument = error.argument
    ? `<ArgumentName1>${escapeXml(error.argument.name)}</ArgumentName1><ArgumentValue1>${escapeXml(error.argument.value)}</ArgumentValue1>`
    : "";
  return `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${error.code}</Code><Message>${escapeXml(error.message)}</Message>${argument}<RequestId>${requestId}</RequestId></Error>`;
}

/** Notification destinations served by the same fauxqs: queues through SQS, topics through SNS. */
function fauxqsDestinations(upstream: Upstream, region: string): NotificationDestinations {
  async function sqs(action: string, payload: Json): Promise<{ status: number; body: Json }> {
    const res = await upstream.call(
      "POST",
      "/",
      {
        "content-type": "application/x-amz-json-1.0",
        "x-amz-target": `AmazonSQS.${action}`,
        authorization: authorizationFor(region, "sqs"),
      },
      Buffer.from(JSON.stringify(payload)),
    );
    const text = (await readBody(res)).toString();
    return { status: res.statusCode ?? 500, body: text ? (JSON.parse(text) as Json) : {} };
  }
  async function sns(params: Record<string, string>): Promise<number> {
    const res = await upstream.call(
      "POST",
      "/",
      { "content-type": "application/x-www-form-urlencoded", authorization: authorizationFor(region, "sns") },
      Buffer.from(new URLSearchParams({ Version: "2010-03-31", ...params }).toString()),
    );
    await readBody(res);
    return res.statusCode ?? 500;
  }
  async function queueUrl(arn: string): Promise<string | undefined> {
    const [, , , , account, name] = arn.split(":");
    if (!name) return undefined;
    const { status, body } = await sqs("GetQueueUrl", { QueueName: name, QueueOwnerAWSAccountId: account });
    return status === 200 && typeof body.QueueUrl === "string" ? body.QueueUrl : undefined;
  }
  return {
    async exists(kind: DestinationKind, arn: string) {
      if (kind === "Queue") return (await queueUrl(arn)) !== undefined;
      if (kind === "Topic") return (await sns({ Action: "GetTopicAttributes", TopicArn: arn })) === 200;
      return false;
    },
    async deliver(kind: DestinationKind, arn: string, message: string) {
      if (kind === "Queue") {
        const url = await queueUrl(arn);
        if (url) await sqs("SendMessage", { QueueUrl: url, MessageBody: message });
      } else if (kind === "Topic") {
        await sns({ Action: "Publish", TopicArn: arn, Message: message, Subject: "Amazon S3 Notification" });
      }
    },
  };
}

/**
 * Starts fauxqs and the proxy in front of it, both on loopback.
 *
 * @example
 * ```ts
 * const messaging = await startMessaging({ region: "us-east-1" });
 * new SQSClient({ endpoint: messaging.endpoint }); // also SNSClient, S3Client
 * await messaging.stop();
 * ```
 */
export async function startMessaging(options: MessagingOptions): Promise<MessagingEmulator> {
  const { region, log } = options;
  const s3Secrets = options.s3Secrets ?? secretIsKeyId;
  // buildApp rather than startFauxqs: startFauxqs always listens on 0.0.0.0.
  const app = buildApp({ logger: false, defaultRegion: region });
  await app.listen({ port: 0, host: LOOPBACK });
  const upstreamPort = (app.server.address() as AddressInfo).port;
  const agent = new Agent({ keepAlive: true });

  const upstream: Upstream = {
    call(method, path, headers, body) {
      return new Promise((resolve, reject) => {
        const outgoing = request({ host: LOOPBACK, port: upstreamPort, method, path, headers, agent }, resolve);
        outgoing.on("error", reject);
        if (body === undefined) outgoing.end();
        else if (Buffer.isBuffer(body)) outgoing.end(body);
        else body.pipe(outgoing);
      });
    },
  };

  const traces = new SqsTraceHeaders();
  const notifications = new S3Notifications({ region, destinations: fauxqsDestinations(upstream, region) });
  const server = createServer();
  const port = await listenOnLoopback(server);
  const endpoint = `http://${LOOPBACK}:${port}`;
  const queueUrls = new QueueUrlTranslator(endpoint, region);

  function withBody(headers: IncomingHttpHeaders, body: Buffer): IncomingHttpHeaders {
    const out = { ...headers, "content-length": String(body.length) };
    delete out["transfer-encoding"];
    return out;
  }

  async function handleSqs(req: IncomingMessage, res: ServerResponse, action: string): Promise<void> {
    const raw = await readBody(req);
    let body: Json;
    try {
      body = JSON.parse(raw.toString()) as Json;
    } catch {
      const upstreamRes = await upstream.call("POST", req.url ?? "/", withBody(req.headers, raw), raw);
      return send(res, upstreamRes.statusCode ?? 500, passHeaders(upstreamRes.headers), await readBody(upstreamRes));
    }
    queueUrls.rewriteRequest(body, req.headers.host ?? "");
    let pendingTraces = new Map<string, string>();
    if (action === "SendMessage" || action === "SendMessageBatch") {
      try {
        const httpTraceHeader = req.headers["x-amzn-trace-id"];
        pendingTraces = traces.beforeSend(
          action,
          body,
          typeof httpTraceHeader === "string" ? httpTraceHeader : undefined,
        );
      } catch (error) {
        if (!(error instanceof SqsRequestError)) throw error;
        return send(
          res,
          400,
          {
            "content-type": "application/x-amz-json-1.0",
            // Common (unmodelled) SQS errors keep their plain code in the query-compatible header.
            "x-amzn-query-error": `${error.code};Sender`,
          },
          JSON.stringify({ __type: `com.amazonaws.sqs#${error.code}`, message: error.message }),
        );
      }
    }
    const forwarded = Buffer.from(JSON.stringify(body));
    const upstreamRes = await upstream.call("POST", req.url ?? "/", withBody(req.headers, forwarded), forwarded);
    const status = upstreamRes.statusCode ?? 500;
    const responseBytes = await readBody(upstreamRes);
    if (status !== 200) return send(res, status, passHeaders(upstreamRes.headers), responseBytes);
    const result = JSON.parse(responseBytes.toString() || "{}") as Json;
    queueUrls.rewriteResponse(result);
    if (action === "SendMessage" || action === "SendMessageBatch") traces.afterSend(action, pendingTraces, result);
    if (action === "ReceiveMessage") traces.afterReceive(body, result);
    if (action === "DeleteMessage" || action === "DeleteMessageBatch") traces.afterDelete(action, body, result);
    send(res, status, passHeaders(upstreamRes.headers), JSON.stringify(result));
  }

  async function handleNotificationConfiguration(
    req: IncomingMessage,
    res: ServerResponse,
    bucket: string,
  ): Promise<void> {
    const { requestId, hostId } = newRequestIds();
    const ids = { "x-amz-request-id": requestId, "x-amz-id-2": hostId };
    const requestBody = await readBody(req);
    try {
      const head = await upstream.call("HEAD", `/${encodeURIComponent(bucket)}`, {
        host: `${LOOPBACK}:${upstreamPort}`,
      });
      head.resume();
      if (head.statusCode === 404) throw new S3RequestError("NoSuchBucket", "The specified bucket does not exist", 404);
      if (req.method === "PUT") {
        await notifications.putConfiguration(bucket, requestBody.toString(), requestId, hostId);
        return send(res, 200, ids, "");
      }
      const xml = renderNotificationConfiguration(notifications.getConfiguration(bucket));
      return send(res, 200, { ...ids, "content-type": "application/xml" }, xml);
    } catch (error) {
      if (!(error instanceof S3RequestError)) throw error;
      send(res, error.status, { ...ids, "content-type": "application/xml" }, s3ErrorXml(error, requestId));
    }
  }

  /** After a successful creation: look the object up and send the notifications it matches, before answering. */
  async function notifyCreated(
    req: IncomingMessage,
    target: S3Target,
    eventName: ObjectCreatedEventName,
    upstreamRes: IncomingMessage,
  ): Promise<void> {
    if (notifications.targetsFor(target.bucket, eventName, target.key).length === 0) return;
    const head = await upstream.call("HEAD", objectPath(target.bucket, target.key), {
      host: `${LOOPBACK}:${upstreamPort}`,
    });
    head.resume();
    if (head.statusCode !== 200) return;
    await notifications.objectCreated({
      bucket: target.bucket,
      key: target.key,
      eventName,
      size: Number(head.headers["content-length"] ?? 0),
      eTag: String(head.headers.etag ?? ""),
      principalId: principalOf(req, target.query),
      sourceIp: req.socket.remoteAddress ?? LOOPBACK,
      requestId: String(upstreamRes.headers["x-amz-request-id"] ?? newRequestIds().requestId),
      hostId: String(upstreamRes.headers["x-amz-id-2"] ?? newRequestIds().hostId),
    });
  }

  async function handlePassThrough(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? "GET";
    const target = s3Target(req);
    const eventName = target ? creationEvent(method, target, req.headers) : undefined;
    const upstreamRes = await upstream.call(
      method,
      req.url ?? "/",
      req.headers,
      method === "GET" || method === "HEAD" ? undefined : req,
    );
    const status = upstreamRes.statusCode ?? 500;
    if (target && !target.key && method === "DELETE" && status === 204) notifications.forgetBucket(target.bucket);
    if (!target || !eventName || status !== 200) {
      // A HEAD has no body to measure: its content-length is the object's size (HeadObject's ContentLength).
      const length = upstreamRes.headers["content-length"];
      const headers = passHeaders(upstreamRes.headers);
      res.writeHead(
        status,
        method === "HEAD" && length !== undefined ? { ...headers, "content-length": length } : headers,
      );
      upstreamRes.pipe(res);
      return;
    }
    const body = await readBody(upstreamRes);
    // CompleteMultipartUpload and CopyObject can fail with a 200 whose body is an <Error>.
    if (!body.toString().includes("<Error>")) {
      try {
        await notifyCreated(req, target, eventName, upstreamRes);
      } catch (error) {
        log?.(`[s3] notification for ${target.bucket}/${target.key} failed: ${String(error)}`);
      }
    }
    send(res, status, passHeaders(upstreamRes.headers), body);
  }

  /** A presigned request S3 would refuse (signature, signed headers, expiry): answered here, never forwarded. */
  function refusePresigned(req: IncomingMessage, res: ServerResponse): boolean {
    const refusal = checkPresigned(
      { method: req.method ?? "GET", url: req.url ?? "/", headers: req.headers },
      s3Secrets,
    );
    if (!refusal) return false;
    req.resume();
    const { requestId, hostId } = newRequestIds();
    const ids = { "x-amz-request-id": requestId, "x-amz-id-2": hostId, "content-type": "application/xml" };
    send(res, refusal.status, ids, req.method === "HEAD" ? "" : s3ErrorXml(refusal, requestId));
    return true;
  }

  server.on("request", (req: IncomingMessage, res: ServerResponse) => {
    const target = req.headers["x-amz-target"];
    const s3 = s3Target(req);
    let handled: Promise<void>;
    if (s3 && isPresigned(req.url ?? "") && refusePresigned(req, res)) {
      handled = Promise.resolve();
    } else if (req.method === "POST" && typeof target === "string" && target.startsWith("AmazonSQS.")) {
      handled = handleSqs(req, res, target.slice("AmazonSQS.".length));
    } else if (s3 && !s3.key && s3.query.has("notification") && (req.method === "GET" || req.method === "PUT")) {
      handled = handleNotificationConfiguration(req, res, s3.bucket);
    } else {
      handled = handlePassThrough(req, res);
    }
    handled.catch((error: unknown) => {
      log?.(`[fauxqs-proxy] ${req.method} ${req.url}: ${String(error)}`);
      if (!res.headersSent) send(res, 502, { "content-type": "text/plain" }, String(error));
      else res.destroy();
    });
  });

  return {
    endpoint,
    port,
    async stop() {
      await closeHttpServer(server);
      agent.destroy();
      await app.close();
    },
  };
}
