/**
 * How every function is built, written once for both sides: the stacks hand it to SST as `sst.aws.Function`'s
 * `nodejs` args (`sstNodejs`), the local runtime and the bench hand it to esbuild (`local/runtime/functionBundle.ts`).
 * No esbuild import here: the stacks' tsconfig compiles this file.
 *
 * What SST 4.17 does when it builds a nodejs function (`pkg/runtime/node/build.go` and `pkg/runtime/node/node.go` in
 * github.com/anomalyco/sst; the 4.17.1 binary carries the same banner and option names):
 * - format ESM unless `format: "cjs"`; esbuild's `mainFields` `["module", "main"]` and `keepNames: true` unless
 *   `esbuild.mainFields` / `esbuild.keepNames` say otherwise;
 * - minified only when `minify: true` is passed: `NodeProperties.Minify` is a plain bool, so leaving it out ships
 *   unminified code (its own docs say the default is `true`);
 * - the target from the runtime by its own table (`targetMap`: nodejs22.x is `es2023`); `esbuild.target` overrides it
 *   only with `esnext` or an `esYYYY` (`esTargetMap`), so `node22` would be ignored without a word;
 * - code splitting only with `splitting: true`; external: sharp, pg-native, the `install` packages, `esbuild.external`;
 * - for ESM its own banner (`SST_ESM_BANNER`: `require`, `__filename`, `__dirname`) followed by `nodejs.banner`: a
 *   banner of ours declaring `require` would declare it twice, and the bundle would not load;
 * - linked source maps, the `.map` files left out of the function's zip.
 * So the stacks pass every option explicitly, and the local bundles carry SST's banner word for word.
 */

/** The Lambda runtime of every function: nodejs22.x is supported to 2027-04-30 (nodejs20.x ended 2026-04-30). */
export const FUNCTION_RUNTIME = "nodejs22.x";

/** SST's esbuild target for each Lambda runtime (`targetMap` in `pkg/runtime/node/build.go`). */
const SST_TARGETS: Readonly<Record<string, string>> = { "nodejs20.x": "es2023", "nodejs22.x": "es2023" };

/**
 * The esbuild target SST builds a function on `runtime` for, whatever the `nodejs` args say short of an `es*` target.
 *
 * @example
 * ```ts
 * sstTarget("nodejs22.x"); // "es2023"
 * ```
 */
export function sstTarget(runtime: string): string {
  const target = SST_TARGETS[runtime];
  if (!target) throw new Error(`no esbuild target for the runtime ${runtime}`);
  return target;
}

/** The prologue SST puts at the top of every ESM chunk (`pkg/runtime/node/build.go`): CommonJS code still calls require(). */
export const SST_ESM_BANNER = [
  `import { createRequire as topLevelCreateRequire } from 'module';`,
  `const require = topLevelCreateRequire(import.meta.url);`,
  `import { fileURLToPath as topLevelFileUrlToPath, URL as topLevelURL } from "url"`,
  `const __filename = topLevelFileUrlToPath(import.meta.url)`,
  `const __dirname = topLevelFileUrlToPath(new topLevelURL(".", import.meta.url))`,
  "",
].join("\n");

/** The esbuild settings a function is built with, in the deployed stacks and on this machine alike. */
export interface FunctionBuild {
  readonly format: "esm";
  readonly minify: boolean;
  /** A transport loaded on first publish (a dynamic import) lands in a chunk of its own, off the cold start. */
  readonly splitting: boolean;
  readonly target: string;
  readonly keepNames: boolean;
  /** Which `package.json` field a dependency resolves through. */
  readonly mainFields: readonly string[];
  /** The function's `install` packages: left out of the bundle, installed into its package for its architecture. */
  readonly external: readonly string[];
}

/**
 * The build of a function that installs `install` (its topology `install`) on `runtime`.
 *
 * `mainFields` stays esbuild's own for Node (`main` first), what the local runtime, the bench and every test have run
 * on; SST's `module` first resolves the AWS SDK to its ES modules and tree-shakes it, a different bundle.
 *
 * @example
 * ```ts
 * functionBuild(["sharp"]); // { format: "esm", minify: true, splitting: true, target: "es2023", …, external: ["sharp"] }
 * ```
 */
export function functionBuild(install: readonly string[] = [], runtime: string = FUNCTION_RUNTIME): FunctionBuild {
  return {
    format: "esm",
    minify: true,
    splitting: true,
    target: sstTarget(runtime),
    keepNames: false,
    mainFields: ["main", "module"],
    external: [...install],
  };
}

/** The `nodejs` args of `sst.aws.Function` that make SST build `build`: every option explicit, no banner (SST's own). */
export interface SstNodejs {
  format: "esm";
  minify: boolean;
  splitting: boolean;
  install?: string[];
  esbuild: { target: string; keepNames: boolean; mainFields: string[] };
}

/**
 * `build` as SST's `nodejs` args.
 *
 * @example
 * ```ts
 * new sst.aws.Function(fn.name, { handler: fn.handler, runtime: FUNCTION_RUNTIME, nodejs: sstNodejs(functionBuild(fn.install)) });
 * ```
 */
export function sstNodejs(build: FunctionBuild): SstNodejs {
  return {
    format: build.format,
    minify: build.minify,
    splitting: build.splitting,
    ...(build.external.length > 0 ? { install: [...build.external] } : {}),
    esbuild: { target: build.target, keepNames: build.keepNames, mainFields: [...build.mainFields] },
  };
}
