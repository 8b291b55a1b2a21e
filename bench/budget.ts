import type { Metafile } from "esbuild";
import { type Bundle, removeBundle } from "./bundle.js";
import { floorsFor } from "./floors.js";
import { serviceBundles } from "./functions.js";

/** How far a function's init bundle may grow past its floor's (a bundle of only the SDK clients it loads at init). */
export const INIT_BUDGET = 1.25;

/** What an init bundle holds of one package (or of one project folder), in bytes of output. */
export interface PackageBytes {
  /** `@aws-sdk/client-s3`, `valibot`; project code by its folder: `shared/tracing`, `services/users`. */
  readonly pkg: string;
  readonly bytes: number;
}

/** How much more of one package a function's init bundle holds than its floor's. */
export interface PackageExcess extends PackageBytes {
  /** Bytes of it in the floor (0: the floor does not have it at all). */
  readonly floorBytes: number;
}

/**
 * The package a metafile input belongs to: the name after its last `node_modules/`, or for the project's own sources
 * their first two folders.
 *
 * @example
 * ```ts
 * packageOf("../main/node_modules/@aws-sdk/client-s3/dist-cjs/index.js"); // "@aws-sdk/client-s3"
 * packageOf("shared/tracing/tracer.ts"); // "shared/tracing"
 * ```
 */
export function packageOf(input: string): string {
  const at = input.lastIndexOf("node_modules/");
  if (at >= 0) {
    const parts = input.slice(at + "node_modules/".length).split("/");
    return parts[0]!.startsWith("@") ? `${parts[0]}/${parts[1]}` : parts[0]!;
  }
  const parts = input.replace(/^(\.\.\/)+/, "").split("/");
  return parts.length > 2 ? `${parts[0]}/${parts[1]}` : parts.slice(0, -1).join("/") || parts[0]!;
}

/** The bytes each package puts into `outputs` (the init closure), from the inputs' `bytesInOutput`, largest first. */
export function packageBytes(metafile: Metafile, outputs: readonly string[]): PackageBytes[] {
  const byPackage = new Map<string, number>();
  for (const output of outputs)
    for (const [input, { bytesInOutput }] of Object.entries(metafile.outputs[output]?.inputs ?? {})) {
      const pkg = packageOf(input);
      byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + bytesInOutput);
    }
  return [...byPackage]
    .map(([pkg, bytes]) => ({ pkg, bytes }))
    .sort((a, b) => b.bytes - a.bytes || (a.pkg < b.pkg ? -1 : 1));
}

/** The parts of a bundle the budget reads: its metafile and its init closure. */
export type InitClosure = Pick<Bundle, "metafile" | "entryOutputs">;

/**
 * What a function's init closure holds beyond its floor's, package by package, largest excess first: the packages
 * the floor lacks, and those it has less of. Only packages with more bytes than the floor's are listed.
 *
 * @example
 * ```ts
 * excessOverFloor(fn.bundle, floor.bundle)[0]; // { pkg: "aws-xray-sdk-core", bytes: 61234, floorBytes: 0 }
 * ```
 */
export function excessOverFloor(bundle: InitClosure, floor: InitClosure): PackageExcess[] {
  const floorBytes = new Map(packageBytes(floor.metafile, floor.entryOutputs).map((p) => [p.pkg, p.bytes]));
  return packageBytes(bundle.metafile, bundle.entryOutputs)
    .map((p) => ({ ...p, bytes: p.bytes - (floorBytes.get(p.pkg) ?? 0), floorBytes: floorBytes.get(p.pkg) ?? 0 }))
    .filter((p) => p.bytes > 0)
    .sort((a, b) => b.bytes - a.bytes || (a.pkg < b.pkg ? -1 : 1));
}

/** One function's init bundle against its floor's. */
export interface BudgetRow {
  readonly name: string;
  readonly initBytes: number;
  readonly floorBytes: number;
  /** `initBytes / floorBytes` */
  readonly ratio: number;
  readonly over: boolean;
  readonly excess: readonly PackageExcess[];
}

/**
 * One function's init bundle against its floor's and the budget.
 *
 * @example
 * ```ts
 * budgetRow("UsersSignup", fn.bundle, floor.bundle); // { ratio: 1.31, over: true, excess: [...] }
 * ```
 */
export function budgetRow(name: string, bundle: Bundle, floor: Bundle, budget = INIT_BUDGET): BudgetRow {
  const ratio = bundle.entryBytes / floor.entryBytes;
  return {
    name,
    initBytes: bundle.entryBytes,
    floorBytes: floor.entryBytes,
    ratio,
    over: ratio > budget,
    excess: excessOverFloor(bundle, floor),
  };
}

/** Smaller differences are minified names, not code to cut: the message leaves them out. */
const REPORTED_EXCESS = 1024;
const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;

/**
 * The rows over budget, each with its sizes and the largest packages of its init closure beyond its floor's, as one
 * message (empty when none is over): what a developer reads to see what to cut.
 *
 * @example
 * ```ts
 * overBudget(rows); // "2 functions over 1.25× their floor's init bundle:\n  UsersSignup: init 512.0 KB, floor 390.1 KB, 1.31×; beyond the floor: aws-xray-sdk-core +61.2 KB (not in the floor), …"
 * ```
 */
export function overBudget(rows: readonly BudgetRow[], budget = INIT_BUDGET, top = 5): string {
  const over = rows.filter((r) => r.over);
  if (over.length === 0) return "";
  const lines = over.map((r) => {
    const packages = r.excess
      .filter((p) => p.bytes >= REPORTED_EXCESS)
      .slice(0, top)
      .map((p) => `${p.pkg} +${kb(p.bytes)}${p.floorBytes === 0 ? " (not in the floor)" : ""}`);
    const beyond = packages.length > 0 ? packages.join(", ") : `no package more than ${kb(REPORTED_EXCESS)}`;
    return `  ${r.name}: init ${kb(r.initBytes)}, floor ${kb(r.floorBytes)}, ${r.ratio.toFixed(2)}×; beyond the floor: ${beyond}`;
  });
  const noun = over.length === 1 ? "function" : "functions";
  return [`${over.length} ${noun} over ${budget}× their floor's init bundle:`, ...lines].join("\n");
}

/**
 * Every function of `services` (their handler files from the topology, each built once) against its own floor (one
 * per set of SDK clients). Only the metafiles are read: the bundles' files are removed.
 *
 * @example
 * ```ts
 * const rows = await functionBudgets(root, ["users", "products", "forums", "media"]);
 * expect(overBudget(rows)).toBe("");
 * ```
 */
export async function functionBudgets(root: string, services: readonly string[]): Promise<BudgetRow[]> {
  const functions = (await Promise.all(services.map((service) => serviceBundles(root, service)))).flat();
  const floors = await floorsFor(
    root,
    functions.map((f) => f.bundle),
  );
  const rows = functions.map((f) => budgetRow(f.fn.name, f.bundle, floors.get(f.bundle)!.bundle));
  for (const b of new Set([...functions.map((f) => f.bundle), ...[...floors.values()].map((f) => f.bundle)]))
    removeBundle(b);
  return rows;
}
