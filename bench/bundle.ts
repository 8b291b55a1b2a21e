import { rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { build, type Metafile } from "esbuild";
import { bundleDir, bundleOptions } from "../local/runtime/functionBundle.js";

export interface Bundle {
  readonly entry: string;
  /** Bytes of the entry chunk and every chunk it imports statically: what a cold start loads before the handler runs. */
  readonly entryBytes: number;
  /** Metafile keys of that static closure. */
  readonly entryOutputs: readonly string[];
  /** Bytes of every output file, lazily loaded chunks included. */
  readonly totalBytes: number;
  readonly metafile: Metafile;
}

/**
 * Bundles a handler the way the stacks ship it to Lambda (`bundleOptions`, as the local runtime's sandboxes load it),
 * into a fresh directory of its own.
 */
export async function bundle(entry: string, name: string, external: readonly string[] = []): Promise<Bundle> {
  const outdir = bundleDir(join(import.meta.dirname, ".."), `summit-bench-${name}-`);
  const result = await build({ ...bundleOptions(entry, outdir, external), metafile: true, logLevel: "error" });
  const outputs = Object.entries(result.metafile.outputs);
  // Dynamically imported modules are entry points too in the metafile: the handler's own is the one named `index`.
  const [entryFile] = outputs.find(([file, o]) => o.entryPoint !== undefined && file.endsWith("/index.mjs"))!;
  const closure = staticClosure(result.metafile, [entryFile]);
  return {
    entry: join(process.cwd(), entryFile),
    entryBytes: closure.reduce((sum, f) => sum + result.metafile.outputs[f]!.bytes, 0),
    entryOutputs: closure,
    totalBytes: outputs.reduce((sum, [, o]) => sum + o.bytes, 0),
    metafile: result.metafile,
  };
}

/** The output files `roots` load with static `import` statements, transitively (dynamic imports excluded). */
export function staticClosure(metafile: Metafile, roots: readonly string[]): string[] {
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const imported of metafile.outputs[file]?.imports ?? []) {
      if (imported.kind === "import-statement" && !imported.external) visit(imported.path);
    }
  };
  for (const root of roots) visit(root);
  return [...seen];
}

/** The output chunk built from `input` (a source path relative to the project root). */
export function chunkOf(metafile: Metafile, input: string): string | undefined {
  return Object.entries(metafile.outputs).find(([, o]) => Object.keys(o.inputs).includes(input))?.[0];
}

/** The absolute path of a metafile output key (keys are relative to the working directory). */
export const outputPath = (key: string): string => join(process.cwd(), key);

/** Removes a bundle's output directory (the metafile stays readable in memory). */
export function removeBundle(b: Pick<Bundle, "entry">): void {
  rmSync(dirname(b.entry), { recursive: true, force: true });
}
