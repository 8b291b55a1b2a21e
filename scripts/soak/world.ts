import { randomUUID } from "node:crypto";
import type { Forum, Post, Thread } from "../../services/forums/api.js";
import type { Media, Upload } from "../../services/media/api.js";
import type { Product } from "../../services/products/api.js";
import type { Tokens } from "../../services/users/api.js";
import { MIX, type Operation, type RouteClass } from "./mix.js";
import type { Recorder } from "./recorder.js";

/** One answer, its body parsed when it is JSON. */
export interface Answer<T = unknown> {
  readonly status: number;
  readonly body: T;
  readonly text: string;
}

export interface Account {
  readonly userId: string;
  readonly email: string;
  readonly password: string;
  token: string;
  /** The newest displayName the users service accepted: what the forums directory must end with. */
  displayName: string;
  /** A newer name sent in an update answered with a fault: it may have been taken, or not. */
  maybeName?: string;
}

/** An upload the soak PUT to S3 (200): the worker must mark it `ready`. */
export interface Uploaded {
  readonly mediaId: string;
  readonly owner: Account;
  readonly purpose: "product" | "avatar";
}

/**
 * A counter's ground truth: what the successful writes add up to, and how many writes were answered with a fault
 * (a 5xx, or no answer), each of which may or may not have happened: the counter must end within `[n, n + unknown]`.
 */
export interface Tally {
  n: number;
  unknown: number;
}

const tally = (): Tally => ({ n: 0, unknown: 0 });

/** Counts one write into `tallies`: a success adds to each, a fault to each one's unknown, a 4xx to none. */
function count(outcome: Outcome, ...tallies: Tally[]): void {
  for (const t of tallies) {
    if (outcome === "ok") t.n++;
    else if (outcome === "fault") t.unknown++;
  }
}

/** What one write's answer says happened: it did, it may have (a fault), or it did not (a 4xx, or not sent). */
export type Outcome = "ok" | "fault" | "no";

const outcomeOf = (reply: Answer | undefined, ok: number): Outcome =>
  reply === undefined ? "no" : reply.status === ok ? "ok" : reply.status === 0 || reply.status >= 500 ? "fault" : "no";

/**
 * The ground truth the soak keeps while it runs: every entity it made and, for each, what every successful write
 * must have caused through the events of the contract (a thread and a post counted on their forum, thread, author
 * and leaderboard row, a view counted on its product, an upload made `ready`).
 */
export interface Truth {
  readonly accounts: Account[];
  readonly forums: Map<string, { threads: Tally; posts: Tally }>;
  readonly threads: Map<string, { forumId: string; author: Account; posts: Tally }>;
  /** Products the mix reads, views and updates; never deleted, so every view stays on `popular`. */
  readonly hotProducts: { productId: string; seller: Account; views: Tally }[];
  /** Products the mix created: the ones it deletes. */
  readonly ownProducts: { productId: string; seller: Account }[];
  readonly stats: Map<string, { threads: Tally; posts: Tally }>;
  readonly uploads: Uploaded[];
  /** Writes by the event they publish (the contract's Events lines): the successful ones, and those answered with a fault. */
  readonly published: Record<string, Tally>;
}

const JSON_TYPE = { "content-type": "application/json" };

/** A small real PNG made by sharp, one per colour, for the presigned PUTs. */
export type Png = Buffer;

/**
 * The soak's client: every request goes through `send`, which counts it, times it by class and notes an answer
 * that is no documented one of what was sent (`expected`); every write that succeeds (or is answered with a fault)
 * goes into the ground truth.
 *
 * @example
 * ```ts
 * const world = new World("http://127.0.0.1:4000", new Recorder(300), await soakPng());
 * await world.seed();
 * await world.run("post");
 * world.truth.published["forums.PostCreated"]; // { n: 1, unknown: 0 }
 * ```
 */
export class World {
  readonly truth: Truth = {
    accounts: [],
    forums: new Map(),
    threads: new Map(),
    hotProducts: [],
    ownProducts: [],
    stats: new Map(),
    uploads: [],
    published: {},
  };
  /** Accounts with a profile update in flight: one at a time each, so the newest name is known. */
  readonly #renaming = new Set<string>();
  #random: () => number;

  constructor(
    readonly url: string,
    readonly recorder: Recorder,
    readonly png: Png,
    random: () => number = Math.random,
  ) {
    this.#random = random;
  }

  #pick<T>(items: readonly T[]): T | undefined {
    return items.length ? items[Math.floor(this.#random() * items.length)] : undefined;
  }

  #publish(type: string, outcome: Outcome): void {
    this.truth.published[type] ??= tally();
    count(outcome, this.truth.published[type]);
  }

  /** One request within the budget (undefined when it is spent): timed, counted, checked against `expected`. */
  async send<T>(
    routeClass: RouteClass,
    method: string,
    path: string,
    options: { json?: unknown; token?: string; expected?: readonly number[]; reserved?: boolean } = {},
  ): Promise<Answer<T> | undefined> {
    if (!options.reserved && !this.recorder.take()) return undefined;
    const headers: Record<string, string> = {
      ...(options.json !== undefined ? JSON_TYPE : {}),
      ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
    };
    const began = performance.now();
    let status = 0;
    let text = "";
    try {
      const res = await fetch(`${this.url}${path}`, {
        method,
        headers,
        ...(options.json !== undefined ? { body: JSON.stringify(options.json) } : {}),
      });
      status = res.status;
      text = await res.text();
    } catch (error) {
      text = `no answer: ${error instanceof Error ? error.message : String(error)}`;
    }
    this.recorder.record(routeClass, status, performance.now() - began);
    const expected = options.expected ?? [200];
    if (!expected.includes(status)) this.recorder.unexpected(`${method} ${path}`, status, text);
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = undefined;
    }
    return { status, body: body as T, text };
  }

  // ---- set-up and the writes that make entities ------------------------------------------------------------------

  async signUp(): Promise<Account | undefined> {
    // Both requests are reserved at once: with workers in parallel, the budget could be spent between the two.
    if (!this.recorder.take(2)) return undefined;
    const email = `soak-${randomUUID()}@example.com`;
    const password = `pw-${randomUUID()}`;
    const displayName = `Soak ${randomUUID().slice(0, 8)}`;
    const created = await this.send<{ userId: string }>("write", "POST", "/users/signup", {
      json: { email, password, displayName },
      expected: [201],
      reserved: true,
    });
    this.#publish("users.UserRegistered", outcomeOf(created, 201));
    if (created?.status !== 201) {
      this.recorder.release();
      return undefined;
    }
    const signedIn = await this.send<Tokens>("write", "POST", "/users/signin", {
      json: { email, password },
      reserved: true,
    });
    if (signedIn?.status !== 200) return undefined;
    const account = { userId: created.body.userId, email, password, token: signedIn.body.accessToken, displayName };
    this.truth.accounts.push(account);
    this.truth.stats.set(account.userId, { threads: tally(), posts: tally() });
    return account;
  }

  async createProduct(seller: Account, hot: boolean): Promise<void> {
    const reply = await this.send<Product>("write", "POST", "/products", {
      token: seller.token,
      json: { name: `Soak lamp ${randomUUID().slice(0, 6)}`, priceCents: 1999, currency: "EUR", category: "soak" },
      expected: [201],
    });
    this.#publish("products.ProductCreated", outcomeOf(reply, 201));
    if (reply?.status !== 201) return;
    const { productId } = reply.body;
    if (hot) this.truth.hotProducts.push({ productId, seller, views: tally() });
    else this.truth.ownProducts.push({ productId, seller });
  }

  async createForum(owner: Account): Promise<void> {
    const reply = await this.send<Forum>("write", "POST", "/forums", {
      token: owner.token,
      json: { name: `Soak forum ${randomUUID().slice(0, 6)}` },
      expected: [201],
    });
    this.#publish("forums.ForumCreated", outcomeOf(reply, 201));
    if (reply?.status !== 201) return;
    this.truth.forums.set(reply.body.forumId, { threads: tally(), posts: tally() });
  }

  async createThread(author: Account, forumId: string): Promise<void> {
    const reply = await this.send<Thread>("write", "POST", `/forums/${forumId}/threads`, {
      token: author.token,
      json: { title: `Soak thread ${randomUUID().slice(0, 6)}`, body: "A thread of the soak." },
      expected: [201],
    });
    const outcome = outcomeOf(reply, 201);
    this.#publish("forums.ThreadCreated", outcome);
    count(outcome, this.truth.forums.get(forumId)!.threads, this.truth.stats.get(author.userId)!.threads);
    if (outcome === "ok") this.truth.threads.set(reply!.body.threadId, { forumId, author, posts: tally() });
  }

  /**
   * Accounts, hot products, forums and threads for the mix to work on, scaled to the budget (a few per hundred
   * requests, within bounds so the leaderboard and `popular` can show every one of them).
   */
  async seed(): Promise<void> {
    const scale = (per: number, min: number, max: number) =>
      Math.max(min, Math.min(max, Math.round(this.recorder.budget / per)));
    for (let i = 0; i < scale(400, 4, 25); i++) await this.signUp();
    const accounts = this.truth.accounts;
    if (accounts.length === 0) return;
    await Promise.all(
      Array.from({ length: scale(800, 3, 12) }, (_, i) => this.createProduct(accounts[i % accounts.length]!, true)),
    );
    for (let i = 0; i < scale(2500, 2, 4); i++) await this.createForum(accounts[i % accounts.length]!);
    const forumIds = [...this.truth.forums.keys()];
    await Promise.all(
      Array.from({ length: scale(1000, 4, 10) }, (_, i) =>
        this.createThread(accounts[i % accounts.length]!, forumIds[i % forumIds.length]!),
      ),
    );
  }

  // ---- the mix ---------------------------------------------------------------------------------------------------

  /** Runs one operation of the mix (an operation with nothing to work on yet reads a product instead). */
  async run(op: Operation): Promise<void> {
    const t = this.truth;
    const account = this.#pick(t.accounts);
    const hot = this.#pick(t.hotProducts);
    const forumId = this.#pick([...t.forums.keys()]);
    const threadId = this.#pick([...t.threads.keys()]);
    const thread = threadId ? t.threads.get(threadId) : undefined;
    const media = this.#pick(t.uploads);
    const cls = MIX[op].class;
    if (!account || !hot || !forumId || !threadId || !thread) return;
    switch (op) {
      case "getProduct":
        await this.send(cls, "GET", `/products/${hot.productId}`);
        return;
      case "listProducts":
        await this.send(cls, "GET", "/products?category=soak&limit=20");
        return;
      case "popular":
        await this.send(cls, "GET", "/products/popular?limit=10");
        return;
      case "listForums":
        await this.send(cls, "GET", "/forums?limit=20");
        return;
      case "getForum":
        await this.send(cls, "GET", `/forums/${forumId}`);
        return;
      case "listThreads":
        await this.send(cls, "GET", `/forums/${forumId}/threads?limit=20`);
        return;
      case "getThread":
        await this.send(cls, "GET", `/forums/${thread.forumId}/threads/${threadId}`);
        return;
      case "listPosts":
        await this.send(cls, "GET", `/forums/${thread.forumId}/threads/${threadId}/posts?limit=20`);
        return;
      case "leaderboard":
        await this.send(cls, "GET", "/forums/leaderboard?limit=10");
        return;
      case "getPublicProfile":
        await this.send(cls, "GET", `/users/${account.userId}`);
        return;
      case "getMe":
        await this.send(cls, "GET", "/users/me", { token: account.token });
        return;
      case "getMedia":
        if (media) await this.send(cls, "GET", `/media/${media.mediaId}`);
        else await this.send(cls, "GET", `/products/${hot.productId}`);
        return;
      case "view": {
        const reply = await this.send(cls, "POST", `/products/${hot.productId}/views`, { expected: [202] });
        const outcome = outcomeOf(reply, 202);
        count(outcome, hot.views);
        this.#publish("products.ProductViewed", outcome);
        return;
      }
      case "post": {
        // 409 (with retry-after) is the post route's documented answer when a thread takes too many posts at once.
        const reply = await this.send<Post>(cls, "POST", `/forums/${thread.forumId}/threads/${threadId}/posts`, {
          token: account.token,
          json: { body: `A post of the soak, ${randomUUID()}.` },
          expected: [201, 409],
        });
        const outcome = outcomeOf(reply, 201);
        this.#publish("forums.PostCreated", outcome);
        count(outcome, thread.posts, t.forums.get(thread.forumId)!.posts, t.stats.get(account.userId)!.posts);
        return;
      }
      case "signUp":
        await this.signUp();
        return;
      case "signIn": {
        const reply = await this.send<Tokens>(cls, "POST", "/users/signin", {
          json: { email: account.email, password: account.password },
        });
        if (reply?.status === 200) account.token = reply.body.accessToken;
        return;
      }
      case "updateProfile": {
        if (this.#renaming.has(account.userId)) {
          await this.send(MIX.getMe.class, "GET", "/users/me", { token: account.token });
          return;
        }
        this.#renaming.add(account.userId);
        const displayName = `Soak ${randomUUID().slice(0, 8)}`;
        const reply = await this.send(cls, "PATCH", "/users/me", {
          token: account.token,
          json: { displayName, bio: "Soaking." },
        });
        const outcome = outcomeOf(reply, 200);
        if (outcome === "ok") {
          account.displayName = displayName;
          delete account.maybeName;
        } else if (outcome === "fault") account.maybeName = displayName;
        this.#publish("users.UserProfileUpdated", outcome);
        this.#renaming.delete(account.userId);
        return;
      }
      case "createProduct":
        await this.createProduct(account, false);
        return;
      case "updateProduct": {
        const reply = await this.send(cls, "PATCH", `/products/${hot.productId}`, {
          token: hot.seller.token,
          json: { priceCents: Math.floor(this.#random() * 10_000) },
          // 409: two updates of one product at once, the loser's versioned write refused (the contract's stale update).
          expected: [200, 409],
        });
        this.#publish("products.ProductUpdated", outcomeOf(reply, 200));
        return;
      }
      case "deleteProduct": {
        const own = t.ownProducts.pop();
        if (!own) {
          await this.createProduct(account, false);
          return;
        }
        const reply = await this.send(cls, "DELETE", `/products/${own.productId}`, {
          token: own.seller.token,
          expected: [204],
        });
        this.#publish("products.ProductDeleted", outcomeOf(reply, 204));
        return;
      }
      case "createForum":
        await this.createForum(account);
        return;
      case "createThread":
        await this.createThread(account, forumId);
        return;
      case "upload":
        await this.upload(account, this.#random() < 0.25 ? "avatar" : "product");
        return;
    }
  }

  /** `POST /media/uploads`, then the presigned PUT of the PNG with the upload's headers (both in the upload class). */
  async upload(owner: Account, purpose: Uploaded["purpose"]): Promise<void> {
    // The POST and its PUT are reserved at once, as a sign-up's two requests are.
    if (!this.recorder.take(2)) return;
    const reply = await this.send<Upload>("upload", "POST", "/media/uploads", {
      token: owner.token,
      json: { contentType: "image/png", contentLength: this.png.length, purpose },
      expected: [201],
      reserved: true,
    });
    if (reply?.status !== 201) {
      this.recorder.release();
      return;
    }
    const began = performance.now();
    let status = 0;
    let text = "";
    try {
      const res = await fetch(reply.body.uploadUrl, {
        method: reply.body.uploadMethod,
        headers: reply.body.uploadHeaders,
        body: new Uint8Array(this.png),
      });
      status = res.status;
      text = await res.text();
    } catch (error) {
      text = `no answer: ${error instanceof Error ? error.message : String(error)}`;
    }
    this.recorder.record("upload", status, performance.now() - began);
    this.#publish("media.UploadReceived", outcomeOf({ status, text, body: undefined }, 200));
    if (status !== 200) {
      this.recorder.unexpected(`PUT <uploadUrl of ${reply.body.mediaId}>`, status, text);
      return;
    }
    this.truth.uploads.push({ mediaId: reply.body.mediaId, owner, purpose });
  }
}

export type { Media };
