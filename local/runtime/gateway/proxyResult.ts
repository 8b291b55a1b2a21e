/** What a function returned, turned into an HTTP answer, or `undefined` when it is not a valid proxy result. */
export interface HttpAnswer {
  readonly status: number;
  readonly headers: Record<string, string | string[]>;
  readonly body: Buffer;
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/**
 * The proxy integration's output format ("Output format of a Lambda function for proxy integration"):
 * `statusCode`, `headers`, `multiValueHeaders` (both kept, multi-value appended), `body` (a string, base64
 * when `isBase64Encoded`). API Gateway answers 502 for anything else ("Malformed Lambda proxy response").
 */
export function proxyResult(value: unknown): HttpAnswer | undefined {
  if (!isRecord(value)) return undefined;
  const status = value.statusCode;
  if (typeof status !== "number" || !Number.isInteger(status) || status < 100 || status > 599) return undefined;
  if (value.body !== undefined && value.body !== null && typeof value.body !== "string") return undefined;
  const headers: Record<string, string | string[]> = {};
  if (isRecord(value.headers))
    for (const [name, v] of Object.entries(value.headers)) headers[name.toLowerCase()] = String(v);
  if (isRecord(value.multiValueHeaders)) {
    for (const [name, values] of Object.entries(value.multiValueHeaders)) {
      if (!Array.isArray(values)) continue;
      const key = name.toLowerCase();
      const existing = headers[key];
      const list = existing === undefined ? [] : Array.isArray(existing) ? existing : [existing];
      headers[key] = [...list, ...values.map(String)];
    }
  }
  const text = typeof value.body === "string" ? value.body : "";
  const body = value.isBase64Encoded === true ? Buffer.from(text, "base64") : Buffer.from(text, "utf8");
  return { status, headers, body };
}
