import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, test } from "vitest";
import {
  boundaryViolations,
  importsOf,
  SOURCE_ROOTS,
  sourceFiles,
  TRACING_BOUNDARY,
} from "../support/importBoundary.js";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

describe("the tracing boundary", () => {
  test("no file outside shared/tracing imports an X-Ray or OpenTelemetry SDK, and the seam needs none", () => {
    const files = sourceFiles(ROOT, SOURCE_ROOTS);
    // The scan reads the project, not an empty folder: the tracer itself and the stacks are among the files.
    expect(files.map((f) => f.path)).toEqual(
      expect.arrayContaining(["shared/tracing/tracer.ts", "shared/middleware/consumerStack.ts", "stacks/index.ts"]),
    );
    expect(boundaryViolations(files, TRACING_BOUNDARY)).toEqual([]);
    // The seam writes X-Ray's documents itself (segments and the UDP emitter): no SDK underneath, and none installed.
    const seam = files.filter((f) => f.path.startsWith("shared/tracing/"));
    expect(seam.map((f) => f.path)).toEqual(
      expect.arrayContaining(["shared/tracing/segments.ts", "shared/tracing/emitter.ts"]),
    );
    expect(seam.flatMap((f) => importsOf(f.text)).filter(TRACING_BOUNDARY.forbidden)).toEqual([]);
    const manifest = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as Record<
      string,
      Record<string, string>
    >;
    const declared = Object.keys({ ...manifest.dependencies, ...manifest.devDependencies });
    expect(declared.filter(TRACING_BOUNDARY.forbidden)).toEqual([]);
  });

  test("reads every form of import, and nothing in comments or strings", () => {
    const text = [
      'import { Tracer } from "@aws-lambda-powertools/tracer";',
      'import type { Subsegment } from "aws-xray-sdk-core";',
      'export { captureLambdaHandler } from "@aws-lambda-powertools/tracer/middleware";',
      'export * from "aws-xray-sdk";',
      'import "aws-xray-sdk-express";',
      'const lazy = await import("@aws-lambda-powertools/tracer/types");',
      'const old = require("aws-xray-sdk-core/dist/lib/patchers");',
      '// import { Tracer } from "@aws-lambda-powertools/tracer/commented";',
      'const text = "import x from \\"aws-xray-sdk-core\\"";',
      'import { Logger } from "@aws-lambda-powertools/logger";',
      'import { tracerish } from "@aws-lambda-powertools/tracer-like";',
      'import { trace } from "@opentelemetry/api";',
      'import "opentelemetry-like";',
    ].join("\n");
    expect(boundaryViolations([{ path: "shared/http/leaky.ts", text }], TRACING_BOUNDARY)).toEqual([
      "shared/http/leaky.ts imports @aws-lambda-powertools/tracer",
      "shared/http/leaky.ts imports aws-xray-sdk-core",
      "shared/http/leaky.ts imports @aws-lambda-powertools/tracer/middleware",
      "shared/http/leaky.ts imports aws-xray-sdk",
      "shared/http/leaky.ts imports aws-xray-sdk-express",
      "shared/http/leaky.ts imports @aws-lambda-powertools/tracer/types",
      "shared/http/leaky.ts imports aws-xray-sdk-core/dist/lib/patchers",
      "shared/http/leaky.ts imports @opentelemetry/api",
    ]);
    // The same text inside the seam is allowed.
    expect(boundaryViolations([{ path: "shared/tracing/otel.ts", text }], TRACING_BOUNDARY)).toEqual([]);
    // A folder merely named like the seam elsewhere is not the seam.
    expect(boundaryViolations([{ path: "local/shared/tracing/x.ts", text }], TRACING_BOUNDARY)).toHaveLength(8);
  });

  describe("on a tree with a leak", () => {
    const tree = mkdtempSync(join(tmpdir(), "summit-boundary-"));
    afterAll(() => rmSync(tree, { recursive: true, force: true }));
    const put = (path: string, text: string) => {
      mkdirSync(dirname(join(tree, path)), { recursive: true });
      writeFileSync(join(tree, path), text);
    };

    test("fails naming the offending file, wherever under the scanned folders it is", () => {
      put("shared/tracing/tracer.ts", 'import { Tracer } from "@aws-lambda-powertools/tracer";\n');
      put(
        "shared/middleware/consumerStack.ts",
        'import { captureLambdaHandler } from "@aws-lambda-powertools/tracer/middleware";\n',
      );
      put("bench/deep/inside/probe.mjs", 'const x = await import("aws-xray-sdk-core");\n');
      put("services/users/clean.ts", 'import { tracer } from "../../shared/tracing/index.js";\n');
      put("services/users/node_modules/dep/index.js", 'require("aws-xray-sdk-core");\n');
      put("test/unit/notScanned.ts", 'import "aws-xray-sdk-core";\n');
      put("shared/README.md", 'import "aws-xray-sdk-core";\n');
      expect(boundaryViolations(sourceFiles(tree, SOURCE_ROOTS), TRACING_BOUNDARY).sort()).toEqual([
        "bench/deep/inside/probe.mjs imports aws-xray-sdk-core",
        "shared/middleware/consumerStack.ts imports @aws-lambda-powertools/tracer/middleware",
      ]);
    });
  });
});
