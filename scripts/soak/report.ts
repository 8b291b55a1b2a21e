import { ROUTE_CLASSES } from "./mix.js";
import { balanced, type Reconciliation, reconciled } from "./reconcile.js";
import { type Measurements, percentile } from "./recorder.js";
import type { Truth } from "./world.js";

/** What a soak run ends with: its measurements, its reconciliation and the verdict. */
export interface SoakResult {
  readonly measurements: Measurements;
  readonly reconciliation: Reconciliation;
  /** The ground truth the run kept (what the reconciliation compared with). */
  readonly truth: Truth;
  /** No 5xx, no unexpected answer, and everything reconciled. */
  readonly ok: boolean;
}

export function verdictOf(measurements: Measurements, reconciliation: Reconciliation): boolean {
  return measurements.fiveXx === 0 && measurements.unexpected.length === 0 && reconciled(reconciliation);
}

const ms = (value: number) => (Number.isNaN(value) ? "–" : `${value.toFixed(1)} ms`);

/**
 * The printed figures: requests/s, p50/p99 per route class, counts per status, every unexpected answer with its body,
 * the counters, the events reconciled (expected / found / in DLQ), the DLQ messages with their reasons, the verdict.
 *
 * @example
 * ```ts
 * console.log(formatReport(result).join("\n"));
 * ```
 */
export function formatReport({ measurements: m, reconciliation: r, ok }: SoakResult): string[] {
  const lines: string[] = [];
  const seconds = m.elapsedMs / 1000;
  lines.push(
    `requests: ${m.requests} in ${seconds.toFixed(1)} s = ${(m.requests / seconds).toFixed(1)} requests/s overall`,
  );
  lines.push("latency by route class:");
  for (const c of ROUTE_CLASSES) {
    const values = m.latencies[c];
    lines.push(
      `  ${c.padEnd(7)} n=${String(values.length).padStart(6)}  p50 ${ms(percentile(values, 0.5)).padStart(9)}  p99 ${ms(percentile(values, 0.99)).padStart(9)}`,
    );
  }
  lines.push("status counts:");
  for (const [key, count] of Object.entries(m.statuses).sort(([a], [b]) => a.localeCompare(b)))
    lines.push(`  ${key.padEnd(12)} ${count}`);
  lines.push(`5xx (or no answer): ${m.fiveXx}`);
  lines.push(`unexpected answers: ${m.unexpected.length}`);
  for (const u of m.unexpected.slice(0, 50)) lines.push(`  ${u.status} ${u.what}: ${u.body}`);
  lines.push(`drain: ${r.drained ? "done" : "TIMED OUT"} in ${(r.drainMs / 1000).toFixed(1)} s`);
  lines.push("counters against the ground truth:");
  for (const c of r.counters) {
    const uncertain = c.uncertain ? ` (${c.uncertain} within the range of a write answered with a fault)` : "";
    lines.push(`  ${c.name.padEnd(20)} ${c.items - c.mismatches.length}/${c.items} equal${uncertain}`);
    for (const mismatch of c.mismatches.slice(0, 10)) lines.push(`    ${mismatch}`);
  }
  lines.push("events reconciled (expected (+ answered with a fault?) / found / in DLQ):");
  for (const e of r.events) {
    const found = e.found === null ? "–" : String(e.found);
    const ok = balanced(e);
    const mark = ok === undefined ? " " : ok ? "✓" : "✗";
    const expected = `${e.expected}${e.unknown ? ` (+${e.unknown}?)` : ""}`;
    lines.push(
      `  ${mark} ${e.event.padEnd(26)} → ${(e.consumer ?? "(none)").padEnd(22)} ${expected.padStart(6)} / ${found.padStart(6)} / ${e.inDlq}  (${e.via})`,
    );
  }
  lines.push(`DLQ messages: ${r.dlq.length} (${r.unattributed.length} unattributed)`);
  for (const d of r.dlq.slice(0, 50))
    lines.push(`  ${d.dlq} ${d.kind} ${d.eventType ?? ""} ${d.eventId ?? ""}: ${d.reason}`);
  lines.push(`verdict: ${ok ? "PASS: no 5xx, everything reconciled" : "FAIL"}`);
  return lines;
}
