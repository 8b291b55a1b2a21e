import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import { type BuildOptions, type BuildResult, context, formatMessages } from "esbuild";
import { type FunctionNode, functionBuild, handlerFile, SST_ESM_BANNER } from "../../shared/topology/index.js";

/** The entry chunk's name in a function's output directory (`<outdir>/index.mjs`). */
export const BUNDLE_ENTRY = "index.mjs";

/**
 * How a function is bundled, as the stacks ship it to Lambda (`functionBuild`, the one definition SST is handed too):
 * ESM, minified, for nodejs22.x, with code splitting so a transport loaded on first publish lands in its own chunk,
 * and the function's `install` packages (native modules such as sharp) left out, to resolve from `node_modules` when
 * the bundle is imported. Each chunk starts with the banner SST puts there, so a bundle loads here as in Lambda.
 *
 * @example
 * ```ts
 * await build({ ...bundleOptions("services/media/worker.ts", outdir, ["sharp"]), metafile: true });
 * await import(join(outdir, BUNDLE_ENTRY));
 * ```
 */
export function bundleOptions(entry: string, outdir: string, external: readonly string[] = []): BuildOptions {
  const build = functionBuild(external);
  return {
    entryPoints: { index: entry },
    outdir,
    bundle: true,
    splitting: build.splitting,
    format: build.format,
    platform: "node",
    target: build.target,
    minify: build.minify,
    keepNames: build.keepNames,
    mainFields: [...build.mainFields],
    outExtension: { ".js": ".mjs" },
    banner: { js: SST_ESM_BANNER },
    logLevel: "silent",
    ...(build.external.length > 0 ? { external: [...build.external] } : {}),
  };
}

/**
 * A fresh output directory under the project's `node_modules/.cache`: a package left out of the bundle (`external`,
 * as the stacks install sharp into the function's package) resolves from there when the bundle is imported.
 *
 * @example
 * ```ts
 * bundleDir(root, "summit-bench-floor-"); // <root>/node_modules/.cache/summit-bench-floor-a1B2c3
 * ```
 */
export function bundleDir(root: string, prefix: string): string {
  const cache = join(root, "node_modules", ".cache");
  mkdirSync(cache, { recursive: true });
  return mkdtempSync(join(cache, prefix));
}

/** esbuild's errors as text, one message after the other, as its command line prints them. */
/** How long a watcher's dispose may take at stop before the runtime goes on without it. */
const DISPOSE_WAIT_MS = 1_000;

export async function bundleErrors(result: Pick<BuildResult, "errors">): Promise<string> {
  return (await formatMessages(result.errors, { kind: "error", color: false })).join("\n").trim();
}

/** One build of a handler file: its entry chunk, or esbuild's errors. `version` counts the builds. */
export type HandlerBuild =
  | { readonly version: number; readonly entry: string }
  | { readonly version: number; readonly error: string };

/** The code a function's sandboxes load: the latest build of its handler file, and a signal when a new one lands. */
export interface HandlerCode {
  /** The latest build, building the file on first call. */
  current(): Promise<HandlerBuild>;
  /** The version of the latest finished build (0 before the first). */
  readonly version: number;
  /** Calls `listener` after each rebuild (watching only). */
  onChange(listener: () => void): void;
}

export interface FunctionBundlesOptions {
  /** The project root: handler references resolve from it, and the bundles go under its `node_modules/.cache`. */
  readonly root: string;
  /** The topology's functions: the packages each handler file leaves out of its bundle are theirs (`install`). */
  readonly functions: readonly FunctionNode[];
  /** Rebuild a handler file when it (or anything it imports) changes; default off. */
  readonly watch?: boolean;
}

/**
 * The bundles one runtime's sandboxes load: each handler file built once, on the first sandbox of a function that
 * uses it, into a directory of this runtime's own (removed on `stop()`). With `watch`, an esbuild context per file
 * rebuilds it on change and bumps its version, so the pools retire the sandboxes of an older build.
 *
 * @example
 * ```ts
 * const bundles = new FunctionBundles({ root, functions: topology.functions, watch: true });
 * const build = await bundles.code(fn).current(); // { version: 1, entry: ".../index.mjs" }
 * await bundles.stop();
 * ```
 */
export class FunctionBundles {
  /** This runtime's output directory: every handler file gets a directory of its own under it. */
  readonly dir: string;
  private readonly byFile = new Map<string, HandlerCode>();
  private readonly disposers: Array<() => Promise<void>> = [];
  /** First builds still running: a stop fails them at once rather than wait on an esbuild that may be gone. */
  private readonly pending = new Set<(error: Error) => void>();
  private stopped = false;

  constructor(private readonly options: FunctionBundlesOptions) {
    this.dir = bundleDir(options.root, "summit-runtime-");
  }

  /** The code of `fn`: shared with every function whose handler is in the same file. */
  code(fn: FunctionNode): HandlerCode {
    const file = `${handlerFile(fn.handler)}.ts`;
    let code = this.byFile.get(file);
    if (!code) {
      code = this.handlerCode(file);
      this.byFile.set(file, code);
    }
    return code;
  }

  private handlerCode(file: string): HandlerCode {
    const external = [
      ...new Set(
        this.options.functions.filter((f) => `${handlerFile(f.handler)}.ts` === file).flatMap((f) => f.install ?? []),
      ),
    ];
    const outdir = join(this.dir, file.replace(/\.ts$/, "").replaceAll(/[^\w.-]+/g, "_"));
    const listeners: Array<() => void> = [];
    let latest: HandlerBuild | undefined;
    let first: Promise<HandlerBuild> | undefined;
    const start = (): Promise<HandlerBuild> =>
      new Promise((resolve, reject) => {
        if (this.stopped) return reject(new Error("the runtime is stopped"));
        this.pending.add(reject);
        let version = 0;
        const onEnd = async (result: BuildResult) => {
          version += 1;
          latest = result.errors.length
            ? { version, error: await bundleErrors(result) }
            : { version, entry: join(outdir, BUNDLE_ENTRY) };
          if (version === 1) {
            this.pending.delete(reject);
            resolve(latest);
          } else for (const listener of listeners) listener();
        };
        const options = bundleOptions(join(this.options.root, file), outdir, external);
        context({ ...options, plugins: [{ name: "summit-version", setup: (build) => build.onEnd(onEnd) }] })
          .then(async (ctx) => {
            this.disposers.push(() => ctx.dispose());
            // Watching builds at once and then on each change; otherwise one build is all this runtime needs.
            if (this.options.watch) await ctx.watch();
            else await ctx.rebuild().catch(() => undefined); // its errors reach onEnd
          })
          .catch(reject);
      });
    return {
      current: () => {
        first ??= start();
        return latest ? Promise.resolve(latest) : first;
      },
      get version() {
        return latest?.version ?? 0;
      },
      onChange: (listener) => listeners.push(listener),
    };
  }

  /**
   * Takes no more builds and fails the first builds still running ("the runtime is stopped"), so an invocation
   * waiting for its bundle ends at once: the runtime calls it first when it stops, before the event sources wait for
   * the batches in hand.
   */
  abort(): void {
    this.stopped = true;
    for (const reject of this.pending) reject(new Error("the runtime is stopped"));
    this.pending.clear();
  }

  /**
   * Stops watching and removes the bundles. Safe to call twice. A Ctrl-C reaches the whole foreground process group,
   * esbuild's own service process included: once it is gone a dispose never answers, so each waits a bounded time.
   */
  async stop(): Promise<void> {
    this.abort();
    const bounded = (dispose: () => Promise<void>) =>
      Promise.race([
        dispose().catch(() => undefined),
        new Promise<void>((resolve) => setTimeout(resolve, DISPOSE_WAIT_MS).unref()),
      ]);
    await Promise.all(this.disposers.splice(0).map(bounded));
    rmSync(this.dir, { recursive: true, force: true });
  }
}
