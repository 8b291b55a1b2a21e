import { spawnSync } from "node:child_process";
import { pathToFileURL } from "node:url";

/**
 * Milliseconds to import the given files in a fresh Node process, as a Lambda cold start does before the
 * handler runs. The first file is the entry; the others are chunks its first invocation would load.
 */
export function coldImportMs(files: readonly string[]): number {
  const urls = JSON.stringify(files.map((f) => pathToFileURL(f).href));
  const script = `const t=performance.now();for(const u of ${urls})await import(u);process.stdout.write(String(performance.now()-t));`;
  const out = spawnSync(process.execPath, ["--input-type=module", "-e", script], {
    encoding: "utf8",
    env: { PATH: process.env.PATH, AWS_REGION: "us-east-1" },
  });
  if (out.status !== 0) throw new Error(`cold import failed: ${out.stderr}`);
  return Number(out.stdout);
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * The median cold import time of each set of files (entry first, as `coldImportMs` takes them), measured round by
 * round across all sets, so drift in the machine's load hits every set alike: figures meant to be compared.
 */
export function coldImportMedians(targets: Readonly<Record<string, readonly string[]>>, rounds: number) {
  const samples = new Map<string, number[]>(Object.keys(targets).map((key) => [key, []]));
  for (let i = 0; i < rounds; i++)
    for (const [key, files] of Object.entries(targets)) samples.get(key)!.push(coldImportMs(files));
  return Object.fromEntries([...samples].map(([key, values]) => [key, median(values)])) as Record<string, number>;
}
