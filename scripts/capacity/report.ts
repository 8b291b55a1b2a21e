import { escapeHtml } from "../../local/devtools/html.js";
import type { Topology } from "../../shared/topology/index.js";
import { BILLED_SERVICES, costOf, type StageCost } from "./cost.js";
import { firstLimitHit, type Limit, limitsOf } from "./limits.js";
import { ALL_CACHES, NO_CACHES, planStage, type StagePlan } from "./plan.js";
import type { PriceTable } from "./prices.js";
import type { Workload } from "./workload.js";

/** Everything the plan says about one stage. */
export interface StageReport {
  readonly users: number;
  readonly plan: StagePlan;
  readonly cost: StageCost;
  /** The same stage with neither the CDN nor the origin cache. */
  readonly uncachedCost: StageCost;
  readonly limits: readonly Limit[];
}

export interface CapacityReport {
  readonly topology: Topology;
  readonly stages: readonly StageReport[];
  readonly prices: PriceTable;
  readonly workload: Workload;
}

/**
 * The plan of every stage of the workload, costed with and without the caches, with its limits.
 *
 * @example
 * ```ts
 * const report = capacityReport(buildTopology(services), WORKLOAD, PRICES);
 * report.stages.at(-1)?.cost.total; // the monthly bill at 10 M users
 * ```
 */
export function capacityReport(topology: Topology, workload: Workload, prices: PriceTable): CapacityReport {
  const stages = workload.stages.map((users) => {
    const plan = planStage(topology, workload, users, ALL_CACHES);
    return {
      users,
      plan,
      cost: costOf(plan, prices),
      uncachedCost: costOf(planStage(topology, workload, users, NO_CACHES), prices),
      limits: limitsOf(plan, topology, workload),
    };
  });
  return { topology, stages, prices, workload };
}

/** A number for a table: thousands separated, small ones with two decimals. */
export function num(x: number): string {
  if (x === 0) return "0";
  if (Math.abs(x) >= 100) return Math.round(x).toLocaleString("en-US");
  if (Math.abs(x) >= 1) return x.toFixed(1);
  return x.toPrecision(2);
}

export const dollars = (x: number): string =>
  `$${x.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;

export const usersLabel = (n: number): string =>
  n >= 1_000_000 ? `${n / 1_000_000}M` : n >= 1000 ? `${n / 1000}k` : String(n);

/** A plain-text table: a header row, aligned columns (numbers to the right). */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const numeric = (s: string) => /^[$\d.,\s%×−-]+[kMGB]?$/.test(s);
  const line = (cells: readonly string[]) =>
    cells.map((c, i) => (numeric(c) && i > 0 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join("  ");
  return [line(header), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)].join("\n");
}

/** Every table of the plan, as the command prints them. */
export function textReport(report: CapacityReport): string {
  const { stages, prices, workload } = report;
  const out: string[] = [];
  const last = stages.at(-1);
  out.push(
    `Capacity plan: ${prices.region} on-demand list prices of ${prices.date}; peak = ${workload.peakFactor}× average; ` +
      `CDN hit rate ${workload.cdnHitRate * 100} % on cached routes; X-Ray sampling ${workload.xraySampling.reservoirPerSecond}/s + ` +
      `${workload.xraySampling.fixedRate * 100} % (${workload.xraySampling.source}).`,
  );
  out.push(
    "",
    "Monthly cost per stage",
    table(
      ["users", "total", "without caches", ...BILLED_SERVICES],
      stages.map((s) => [
        usersLabel(s.users),
        dollars(s.cost.total),
        dollars(s.uncachedCost.total),
        ...BILLED_SERVICES.map((b) => dollars(s.cost.byService[b])),
      ]),
    ),
  );
  // Where each limit is reached, by bisection over the plan: the next one ahead of a stage that hits none.
  const reached = new Map((stages[0]?.limits ?? []).map((l) => [l.name, usersAtLimit(l.name, report)]));
  const label = (name: string) => {
    const at = reached.get(name);
    return at === undefined ? "beyond 1B users" : `${usersLabel(at)} users`;
  };
  out.push(
    "",
    "First limit each stage hits (else the next one ahead, and the users it is reached at)",
    table(
      ["users", "limit", "load", "of", "use", "reached at", "what the topology does"],
      stages.map((s) => {
        const hit = firstLimitHit(s.limits);
        const ahead = [...s.limits].sort(
          (a, b) =>
            (reached.get(a.name) ?? Number.POSITIVE_INFINITY) - (reached.get(b.name) ?? Number.POSITIVE_INFINITY),
        )[0]!;
        const l = hit ?? ahead;
        return [
          usersLabel(s.users),
          `${hit ? "HIT " : "next: "}${l.name}`,
          `${num(l.load)} ${l.unit}`,
          num(l.limit),
          `${Math.round(l.utilization * 100)} %`,
          label(l.name),
          l.handledBy,
        ];
      }),
    ),
  );
  if (!last) return out.join("\n");
  const { plan } = last;
  out.push(
    "",
    `Routes at ${usersLabel(last.users)} users (requests/s; RRU/s with no cache, CDN only, CDN + origin cache)`,
    table(
      ["route", "avg", "peak", "origin peak", "CDN hit", "RRU none", "RRU cdn", "RRU all", "WRU"],
      plan.routes.map((r) => [
        r.key + (r.assumed ? " (defaults)" : ""),
        num(r.requests.average),
        num(r.requests.peak),
        num(r.origin.peak),
        `${Math.round(r.cdnHitRate * 100)} %`,
        num(r.rru.none),
        num(r.rru.cdn),
        num(r.rru.all),
        num(r.wru),
      ]),
    ),
  );
  out.push(
    "",
    `Functions at ${usersLabel(last.users)} users (Little's law: peak invocations/s × duration)`,
    table(
      ["function", "kind", "MB", "invocations/s avg", "peak", "ms", "concurrency", "GB-s/month"],
      plan.functions.map((f) => [
        f.name,
        f.kind,
        String(f.memoryMb),
        num(f.invocations.average),
        num(f.invocations.peak),
        num(f.durationMs),
        num(f.concurrency),
        num(f.gbSecondsMonthly),
      ]),
    ),
  );
  out.push(
    "",
    `Events at ${usersLabel(last.users)} users`,
    table(
      ["event", "transport", "avg/s", "peak/s", "subscribers", "per month"],
      plan.events.map((e) => [
        e.type,
        e.transport,
        num(e.rate.average),
        num(e.rate.peak),
        String(e.subscribers),
        num(e.rate.monthly),
      ]),
    ),
  );
  out.push(
    "",
    "Kinesis shards per stage (needed at the stage's peak / provisioned by the topology)",
    table(
      ["users", ...(stages[0]?.plan.streams.map((s) => s.name) ?? [])],
      stages.map((s) => [
        usersLabel(s.users),
        ...s.plan.streams.map((x) => `${x.neededShards} / ${x.provisionedShards}`),
      ]),
    ),
  );
  out.push(
    "",
    "Monthly units per stage",
    table(
      [
        "users",
        "API req",
        "Lambda req",
        "GB-s",
        "RRU",
        "WRU",
        "EB events",
        "SNS pub",
        "SNS deliv",
        "SQS req",
        "CDN req",
        "CDN GB",
        "traces",
      ],
      stages.map(({ users, plan: p }) => [
        usersLabel(users),
        ...[
          p.totals.apiRequests,
          p.totals.lambdaRequests,
          p.totals.lambdaGbSeconds,
          p.totals.rru,
          p.totals.wru,
          p.totals.eventbridgeEvents,
          p.totals.snsPublishes,
          p.totals.snsDeliveries,
          p.totals.sqsRequests,
          p.totals.cdnRequests,
          p.totals.cdnGbOut,
          p.totals.traces,
        ].map(num),
      ]),
    ),
  );
  out.push(
    "",
    `Limits at ${usersLabel(last.users)} users, most used first`,
    table(
      ["limit", "load", "of", "use", "reached at", "what the topology does"],
      last.limits.map((l) => [
        l.name,
        `${num(l.load)} ${l.unit}`,
        num(l.limit),
        `${Math.round(l.utilization * 100)} %`,
        label(l.name),
        l.handledBy,
      ]),
    ),
  );
  const assumed = plan.routes.filter((r) => r.assumed).map((r) => r.key);
  if (assumed.length) out.push("", `Routes without a workload entry (defaults applied): ${assumed.join(", ")}`);
  return out.join("\n");
}

/**
 * The users at which a limit is reached, found by bisection over the plan itself (loads are not all linear in the
 * users: batches fill up, floors such as idle polling stay), to two significant figures; "-" beyond a billion.
 */
export function usersAtLimit(name: string, report: Pick<CapacityReport, "topology" | "workload">): number | undefined {
  const use = (users: number) =>
    limitsOf(planStage(report.topology, report.workload, users), report.topology, report.workload).find(
      (l) => l.name === name,
    )?.utilization ?? 0;
  let low = 1;
  let high = 1e9;
  if (use(high) < 1) return undefined;
  if (use(low) >= 1) return low;
  while (high / low > 1.01) {
    const mid = Math.sqrt(low * high);
    if (use(mid) >= 1) high = mid;
    else low = mid;
  }
  return Number(high.toPrecision(2));
}

interface Bar {
  readonly label: string;
  readonly value: number;
  readonly second?: number;
}

/**
 * A horizontal bar chart as inline SVG: one row per bar, the value printed beside it; `second` draws a lighter bar
 * behind (the uncached cost). `log` scales the bars by log10, for values spanning orders of magnitude.
 */
export function barChart(title: string, bars: readonly Bar[], options: { log?: boolean } = {}): string {
  const row = 28;
  const left = 140;
  const width = 520;
  const height = bars.length * row + 40;
  const max = Math.max(...bars.map((b) => Math.max(b.value, b.second ?? 0)), 1e-9);
  const scale = (v: number) => (options.log ? (Math.log10(1 + v) / Math.log10(1 + max)) * width : (v / max) * width);
  const rows = bars.map((b, i) => {
    const y = 30 + i * row;
    const back =
      b.second !== undefined
        ? `<rect x="${left}" y="${y}" width="${scale(b.second).toFixed(1)}" height="18" fill="#f4c7a1"><title>${escapeHtml(dollars(b.second))} without caches</title></rect>`
        : "";
    return (
      `<text x="${left - 8}" y="${y + 13}" text-anchor="end">${escapeHtml(b.label)}</text>${back}` +
      `<rect x="${left}" y="${y}" width="${scale(b.value).toFixed(1)}" height="18" fill="#2f6f9f"></rect>` +
      `<text x="${left + scale(Math.max(b.value, b.second ?? 0)) + 6}" y="${y + 13}">${escapeHtml(dollars(b.value))}${b.second !== undefined ? ` (${escapeHtml(dollars(b.second))} without caches)` : ""}</text>`
    );
  });
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="${escapeHtml(title)}" width="${left + width + 260}" height="${height}" font-family="sans-serif" font-size="12">` +
    `<text x="0" y="16" font-weight="bold" font-size="14">${escapeHtml(title)}</text>${rows.join("")}</svg>`
  );
}

/** The page: the two charts, then every printed table, with no request to anywhere. */
export function htmlReport(report: CapacityReport): string {
  const last = report.stages.at(-1);
  const perStage = barChart(
    "Monthly cost per stage (log scale)",
    report.stages.map((s) => ({
      label: `${usersLabel(s.users)} user${s.users === 1 ? "" : "s"}`,
      value: s.cost.total,
      second: s.uncachedCost.total,
    })),
    { log: true },
  );
  const perService = last
    ? barChart(
        `Monthly cost per AWS service at ${usersLabel(last.users)} users`,
        BILLED_SERVICES.map((s) => ({ label: s, value: last.cost.byService[s] })).sort((a, b) => b.value - a.value),
      )
    : "";
  const prices = Object.entries(report.prices.prices)
    .map(
      ([name, p]) =>
        `<tr><td>${escapeHtml(name)}</td><td>${escapeHtml(p.unit)}</td><td>${escapeHtml(p.tiers.map((t) => `${t.upTo === null ? "rest" : `≤ ${num(t.upTo)}`}: $${t.price}`).join("; "))}</td><td>${escapeHtml(p.source)}</td></tr>`,
    )
    .join("");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Summit capacity plan</title>
<style>body{font-family:sans-serif;margin:2rem;max-width:80rem}pre{font-size:12px;overflow-x:auto}table{border-collapse:collapse;font-size:12px}td{border:1px solid #ccc;padding:2px 6px}</style>
</head><body>
<h1>Summit capacity plan</h1>
<p>Read off the topology and the workload model (<code>scripts/capacity/workload.ts</code>), priced with the table of ${escapeHtml(report.prices.date)} (${escapeHtml(report.prices.region)}, on demand).</p>
<figure id="cost-per-stage">${perStage}</figure>
<figure id="cost-per-service">${perService}</figure>
<h2>Tables</h2>
<pre>${escapeHtml(textReport(report))}</pre>
<h2>Prices</h2>
<table><tr><td>price</td><td>unit</td><td>tiers (units a month: $ each)</td><td>source</td></tr>${prices}</table>
</body></html>
`;
}
