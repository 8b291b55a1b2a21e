import { readdirSync, readFileSync } from "node:fs";
import { join, relative, sep } from "node:path";
import ts from "typescript";

/** Where a module may be imported from: only files under `allowedUnder`. */
export interface ImportBoundary {
  /** Module specifiers kept behind the boundary (`aws-xray-sdk-core`, `@aws-lambda-powertools/tracer/middleware`). */
  readonly forbidden: (specifier: string) => boolean;
  /** The folder (relative to the root, `/`-separated, with a trailing `/`) whose files may import them. */
  readonly allowedUnder: string;
}

/**
 * The tracing boundary: a tracing SDK — the X-Ray SDK (any package of it), Powertools Tracer (any subpath) or
 * OpenTelemetry (any `@opentelemetry/` package) — is imported only in `shared/tracing/`, the one seam.
 */
export const TRACING_BOUNDARY: ImportBoundary = {
  forbidden: (specifier) =>
    /^aws-xray-sdk(-[a-z0-9-]+)?(\/.*)?$/.test(specifier) ||
    /^@aws-lambda-powertools\/tracer(\/.*)?$/.test(specifier) ||
    /^@opentelemetry\//.test(specifier),
  allowedUnder: "shared/tracing/",
};

/** The folders of the project's own code. */
export const SOURCE_ROOTS = ["services", "shared", "local", "stacks", "events", "scripts", "bench"] as const;

const SOURCE = /\.(ts|tsx|mts|cts|js|mjs|cjs)$/;

/**
 * Every module a file's text imports, as TypeScript's own pre-processor reads them: static imports and re-exports
 * (type-only included), `import()` and `require()`, never a specifier that only appears in a comment or a string.
 *
 * @example
 * ```ts
 * importsOf('import { Tracer } from "@aws-lambda-powertools/tracer";'); // ["@aws-lambda-powertools/tracer"]
 * ```
 */
export function importsOf(text: string): string[] {
  return ts.preProcessFile(text, true, true).importedFiles.map((f) => f.fileName);
}

/**
 * The boundary's violations among `files` (paths relative to the root, `/`-separated): `<path> imports <module>`.
 * Pure.
 *
 * @example
 * ```ts
 * boundaryViolations([{ path: "shared/http/x.ts", text: 'import "aws-xray-sdk-core";' }], TRACING_BOUNDARY);
 * // ["shared/http/x.ts imports aws-xray-sdk-core"]
 * ```
 */
export function boundaryViolations(
  files: readonly { readonly path: string; readonly text: string }[],
  boundary: ImportBoundary,
): string[] {
  return files.flatMap(({ path, text }) =>
    path.startsWith(boundary.allowedUnder)
      ? []
      : importsOf(text)
          .filter(boundary.forbidden)
          .map((specifier) => `${path} imports ${specifier}`),
  );
}

/** The source files under `roots` of `root` (node_modules and dot-folders left out), with their text. */
export function sourceFiles(root: string, roots: readonly string[]): { path: string; text: string }[] {
  const files: { path: string; text: string }[] = [];
  const walk = (dir: string) => {
    let entries: import("node:fs").Dirent[];
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      if (entry.name === "node_modules" || entry.name.startsWith(".")) continue;
      const full = join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.isFile() && SOURCE.test(entry.name))
        files.push({ path: relative(root, full).split(sep).join("/"), text: readFileSync(full, "utf8") });
    }
  };
  for (const folder of roots) walk(join(root, folder));
  return files;
}
