import { existsSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { dirname, join } from "node:path";
import { build } from "esbuild";
import { SST_ESM_BANNER, sstTarget } from "../../shared/topology/index.js";

/** What SST's `Function` sends `Runtime.Build` (the fields used here). */
interface BuildInput {
  functionID: string;
  handler: string;
  runtime: string;
  /** The function's `nodejs` options (and its architecture). */
  /** `install` is a list of packages, or packages by version (SST accepts both). */
  properties?: {
    splitting?: boolean;
    install?: string[] | Record<string, string>;
    architecture?: string;
    [option: string]: unknown;
  };
}

/** What SST asked its build for one function: the runtime (its esbuild target follows) and the `nodejs` options. */
export interface BuildRequest {
  readonly runtime: string;
  /** The function's `nodejs` args as SST sends them (`install` as packages by version), without the architecture. */
  readonly nodejs: Readonly<Record<string, unknown>>;
}

export interface BuildOutput {
  handler: string;
  out: string;
  errors: string[];
  sourcemaps: string[];
  /** Built with code splitting (dynamic imports in chunks of their own), as `nodejs.splitting` asks. */
  splitting?: boolean;
  /**
   * Packages installed into the function's package instead of bundled (`nodejs.install`), the architecture they are
   * installed for, and the installed packages the bundle carried anyway (it should carry none).
   */
  install?: { packages: string[]; architecture: string; bundled: string[] };
}

const SOURCE_EXTENSIONS = [".ts", ".mts", ".tsx", ".js", ".mjs"];
/** The `esbuild.target` values SST takes (`esTargetMap` in `pkg/runtime/node/node.go`); any other is ignored. */
const SST_ES_TARGET = /^(esnext|es5|es6|es20(1[5-9]|2[0-3]))$/;

/**
 * The esbuild options SST 4.17's Node runtime derives from a function's `nodejs` args and runtime
 * (`pkg/runtime/node/build.go`, summed up in `shared/topology/functionBuild.ts`): its defaults where an option is left
 * out, its own banner before `nodejs.banner` for ESM.
 */
function sstEsbuildOptions(properties: NonNullable<BuildInput["properties"]>, runtime: string) {
  const esbuild = (properties.esbuild ?? {}) as { target?: unknown; keepNames?: unknown; mainFields?: unknown };
  const target = String(esbuild.target ?? "").toLowerCase();
  const esm = properties.format !== "cjs";
  const banner = typeof properties.banner === "string" ? properties.banner : "";
  return {
    format: esm ? ("esm" as const) : ("cjs" as const),
    target: SST_ES_TARGET.test(target) ? target : sstTarget(runtime),
    minify: properties.minify === true,
    keepNames: typeof esbuild.keepNames === "boolean" ? esbuild.keepNames : true,
    mainFields:
      Array.isArray(esbuild.mainFields) && esbuild.mainFields.length > 0
        ? esbuild.mainFields.map(String)
        : esm
          ? ["module", "main"]
          : ["main"],
    banner: { js: esm ? `${SST_ESM_BANNER}${banner}` : banner },
  };
}

/**
 * Bundles one handler as the SST CLI's Node runtime does: `<file>.<export>` relative to the project root, with the
 * esbuild options SST derives from its `nodejs` args. A missing file, a missing export or an unresolved import is a
 * build error, as in `sst deploy`.
 */
async function bundleHandler(root: string, outRoot: string, input: BuildInput): Promise<BuildOutput> {
  const dot = input.handler.lastIndexOf(".");
  const file = input.handler.slice(0, dot);
  const exportName = input.handler.slice(dot + 1);
  const out = join(outRoot, input.functionID);
  const source = SOURCE_EXTENSIONS.map((ext) => join(root, file + ext)).find((path) => existsSync(path));
  if (dot < 1 || !source)
    return {
      handler: input.handler,
      out,
      errors: [`Could not find the handler file for "${input.handler}"`],
      sourcemaps: [],
    };
  const splitting = input.properties?.splitting === true;
  // As SST's Node runtime does: a package to install is left out of the bundle (esbuild `external`).
  const install = input.properties?.install ?? [];
  const packages = Array.isArray(install) ? install : Object.keys(install);
  try {
    const result = await build({
      entryPoints: [source],
      ...(splitting
        ? { outdir: join(out, dirname(file)), splitting: true, entryNames: "[name]", outExtension: { ".js": ".mjs" } }
        : { outfile: join(out, `${file}.mjs`) }),
      bundle: true,
      platform: "node",
      ...sstEsbuildOptions(input.properties ?? {}, input.runtime),
      metafile: true,
      logLevel: "silent",
      ...(packages.length > 0 ? { external: packages } : {}),
    });
    const exports = Object.values(result.metafile.outputs).flatMap((o) => (o.entryPoint ? o.exports : []));
    if (!exports.includes(exportName))
      return { handler: input.handler, out, errors: [`"${file}" has no export named "${exportName}"`], sourcemaps: [] };
    const inputs = Object.keys(result.metafile.inputs);
    const bundled = packages.filter((pkg) => inputs.some((path) => path.includes(`node_modules/${pkg}/`)));
    return {
      handler: input.handler,
      out,
      errors: [],
      sourcemaps: [],
      splitting,
      ...(packages.length > 0
        ? { install: { packages, architecture: input.properties?.architecture ?? "", bundled } }
        : {}),
    };
  } catch (error) {
    return {
      handler: input.handler,
      out,
      errors: [error instanceof Error ? error.message : String(error)],
      sourcemaps: [],
    };
  }
}

export interface BuildServer {
  readonly url: string;
  /** Every handler bundled, by function id. */
  readonly builds: Map<string, BuildOutput>;
  /** What each function asked the build for, by function id (a bundle may be shared through the cache). */
  readonly requests: Map<string, BuildRequest>;
  close(): Promise<void>;
}

/**
 * The stand-in for the SST CLI's RPC server (`SST_SERVER`) that SST components call while they are declared:
 * `Provider.Aws.Bootstrap` (the bootstrap bucket of the region) and `Runtime.Build` (bundle a handler).
 */
export async function startBuildServer(
  root: string,
  outRoot: string,
  cache = new Map<string, Promise<BuildOutput>>(),
): Promise<BuildServer> {
  const builds = new Map<string, BuildOutput>();
  const requests = new Map<string, BuildRequest>();
  const server: Server = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk) => {
      body += chunk;
    });
    req.on("end", async () => {
      const reply = (payload: unknown) => {
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify(payload));
      };
      const { method, params } = JSON.parse(body) as { method: string; params: unknown[] };
      if (method === "Provider.Aws.Bootstrap") {
        return reply({
          result: {
            asset: "sst-asset-synth",
            assetEcrRegistryId: "123456789012",
            assetEcrUrl: "123456789012.dkr.ecr.us-east-1.amazonaws.com/sst-asset",
            state: "sst-state-synth",
            appsyncHttp: "",
            appsyncRealtime: "",
          },
        });
      }
      if (method === "Runtime.Build") {
        const input = params[0] as BuildInput;
        const { architecture: _architecture, ...nodejs } = input.properties ?? {};
        requests.set(input.functionID, { runtime: input.runtime, nodejs });
        const key = `${input.functionID}:${input.handler}`;
        let pending = cache.get(key);
        if (!pending) {
          pending = bundleHandler(root, outRoot, input);
          cache.set(key, pending);
        }
        const output = await pending;
        builds.set(input.functionID, output);
        return reply({ result: output });
      }
      reply({ error: `rpc: can't find method ${method}` });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    builds,
    requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
