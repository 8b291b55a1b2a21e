import { mkdirSync, mkdtempSync } from "node:fs";
import { join } from "node:path";
import { build, type Metafile } from "esbuild";

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
 * Bundles a handler the way the stacks ship it to Lambda: ESM, minified, for nodejs22.x, with code splitting so
 * a transport loaded on first publish lands in its own chunk.
 */
export async function bundle(entry: string, name: string, external: readonly string[] = []): Promise<Bundle> {
  // Under the project's node_modules, so a package left out of the bundle (`external`, as the stacks install sharp
  // into the worker's package) resolves when the bundle is imported, as it does from the function's package.
  const cache = join(import.meta.dirname, "..", "node_modules", ".cache");
  mkdirSync(cache, { recursive: true });
  const outdir = mkdtempSync(join(cache, `summit-bench-${name}-`));
  const result = await build({
    entryPoints: { index: entry },
    outdir,
    bundle: true,
    splitting: true,
    format: "esm",
    platform: "node",
    target: "node22",
    minify: true,
    metafile: true,
    outExtension: { ".js": ".mjs" },
    // CommonJS dependencies inside an ESM bundle still call require().
    banner: { js: "import{createRequire as __cr}from'node:module';const require=__cr(import.meta.url);" },
    logLevel: "error",
    ...(external.length > 0 ? { external: [...external] } : {}),
  });
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
