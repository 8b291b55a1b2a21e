/**
 * fauxqs names queues `http://sqs.<region>.localhost:<port>/<account>/<name>`, a host that does not resolve
 * here, and the SQS client sends each call to the host of its QueueUrl (it only logs a warning when that differs
 * from the configured endpoint). So queue URLs are published as `http://127.0.0.1:<port>/<account>/<name>`,
 * which resolves, and translated back on the way in.
 */
export class QueueUrlTranslator {
  readonly #publicOrigin: string;
  readonly #defaultRegion: string;
  readonly #internalByPublic = new Map<string, string>();

  constructor(publicOrigin: string, defaultRegion: string) {
    this.#publicOrigin = publicOrigin;
    this.#defaultRegion = defaultRegion;
  }

  /** fauxqs's URL → the URL clients see. */
  toPublic(internalUrl: string): string {
    const match = /^https?:\/\/sqs\.[^./]+\.localhost(?::\d+)?(\/.*)$/.exec(internalUrl);
    if (!match?.[1]) return internalUrl;
    const publicUrl = `${this.#publicOrigin}${match[1]}`;
    this.#internalByPublic.set(publicUrl, internalUrl);
    return publicUrl;
  }

  /** The URL a client sent → fauxqs's URL (unknown URLs of ours are assumed to be in the default region). */
  toInternal(publicUrl: string, requestHost: string): string {
    const known = this.#internalByPublic.get(publicUrl);
    if (known) return known;
    if (!publicUrl.startsWith(`${this.#publicOrigin}/`)) return publicUrl;
    const port = requestHost.includes(":") ? `:${requestHost.split(":").pop()}` : "";
    return `http://sqs.${this.#defaultRegion}.localhost${port}${publicUrl.slice(this.#publicOrigin.length)}`;
  }

  rewriteRequest(body: Record<string, unknown>, requestHost: string): void {
    if (typeof body.QueueUrl === "string") body.QueueUrl = this.toInternal(body.QueueUrl, requestHost);
  }

  rewriteResponse(body: Record<string, unknown>): void {
    if (typeof body.QueueUrl === "string") body.QueueUrl = this.toPublic(body.QueueUrl);
    if (Array.isArray(body.QueueUrls)) {
      body.QueueUrls = body.QueueUrls.map((url: unknown) => (typeof url === "string" ? this.toPublic(url) : url));
    }
  }
}
