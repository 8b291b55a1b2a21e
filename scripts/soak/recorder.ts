import { ROUTE_CLASSES, type RouteClass } from "./mix.js";

/** One answer the soak did not expect: a 5xx, or a 4xx that is no documented answer of what was sent. */
export interface Unexpected {
  readonly what: string;
  readonly status: number;
  readonly body: string;
}

/** What the soak measured: requests, their latencies by class, statuses, and every answer it did not expect. */
export interface Measurements {
  readonly requests: number;
  readonly elapsedMs: number;
  readonly latencies: Readonly<Record<RouteClass, readonly number[]>>;
  /** `"<class> <status>"` → count. */
  readonly statuses: Readonly<Record<string, number>>;
  readonly fiveXx: number;
  readonly unexpected: readonly Unexpected[];
}

/**
 * Counts what the soak sends and what comes back. `take()` reserves one request of the budget before it is sent, so
 * the run sends exactly its bound however many workers share it.
 *
 * @example
 * ```ts
 * const recorder = new Recorder(10_000);
 * if (recorder.take()) recorder.record("read", "GET /forums", 200, 3.1);
 * ```
 */
export class Recorder {
  #sent = 0;
  readonly #started = performance.now();
  #stopped: number | undefined;
  readonly #latencies: Record<RouteClass, number[]> = Object.fromEntries(
    ROUTE_CLASSES.map((c) => [c, [] as number[]]),
  ) as Record<RouteClass, number[]>;
  readonly #statuses: Record<string, number> = {};
  readonly #unexpected: Unexpected[] = [];
  #fiveXx = 0;

  constructor(readonly budget: number) {}

  /** Reserves `n` requests of the budget; false once it is spent. */
  take(n = 1): boolean {
    if (this.#sent + n > this.budget) return false;
    this.#sent += n;
    return true;
  }

  /** Gives back `n` reserved requests that will not be sent (the second of a pair whose first failed). */
  release(n = 1): void {
    this.#sent = Math.max(0, this.#sent - n);
  }

  get remaining(): number {
    return this.budget - this.#sent;
  }

  record(routeClass: RouteClass, status: number, ms: number): void {
    this.#latencies[routeClass].push(ms);
    const key = `${routeClass} ${status}`;
    this.#statuses[key] = (this.#statuses[key] ?? 0) + 1;
    if (status >= 500 || status === 0) this.#fiveXx++;
  }

  unexpected(what: string, status: number, body: string): void {
    this.#unexpected.push({ what, status, body: body.slice(0, 500) });
  }

  stop(): void {
    this.#stopped ??= performance.now();
  }

  measurements(): Measurements {
    return {
      requests: this.#sent,
      elapsedMs: (this.#stopped ?? performance.now()) - this.#started,
      latencies: this.#latencies,
      statuses: { ...this.#statuses },
      fiveXx: this.#fiveXx,
      unexpected: [...this.#unexpected],
    };
  }
}

/**
 * The value at fraction `q` (0..1) of `values`, nearest rank; NaN for none.
 *
 * @example
 * ```ts
 * percentile([3, 1, 2], 0.5); // 2
 * ```
 */
export function percentile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}
