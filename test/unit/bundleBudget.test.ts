/**
 * The init-bundle size budget: every function's init bundle (the entry chunk and the chunks it imports statically,
 * what a cold start loads) stays within `INIT_BUDGET` of its own floor's, a bundle of only the AWS SDK clients it
 * loads at init. A size check over real esbuild bundles, built as the stacks ship them; not a timing.
 */
import { fileURLToPath } from "node:url";
import type { Metafile } from "esbuild";
import { afterAll, describe, expect, test } from "vitest";
import {
  type BudgetRow,
  budgetRow,
  excessOverFloor,
  functionBudgets,
  INIT_BUDGET,
  overBudget,
  packageBytes,
  packageOf,
} from "../../bench/budget.js";
import { type Bundle, bundle, removeBundle } from "../../bench/bundle.js";
import { floorsFor } from "../../bench/floors.js";
import { services } from "../../services/index.js";
import { buildTopology } from "../../shared/topology/index.js";

const root = fileURLToPath(new URL("../..", import.meta.url));
const built: Bundle[] = [];
afterAll(() => {
  for (const b of built) removeBundle(b);
});

/** A metafile output holding `inputs` (bytes in output each), importing `imports` statically. */
const output = (inputs: Record<string, number>, imports: string[] = []) => ({
  bytes: Object.values(inputs).reduce((sum, b) => sum + b, 0),
  inputs: Object.fromEntries(Object.entries(inputs).map(([path, bytesInOutput]) => [path, { bytesInOutput }])),
  imports: imports.map((path) => ({ path, kind: "import-statement" as const })),
  exports: [],
});
const metafile = (outputs: Record<string, ReturnType<typeof output>>) =>
  ({ inputs: {}, outputs }) as unknown as Metafile;

describe("a bundle's excess over its floor, package by package", () => {
  test("names a package after its last node_modules/, and the project's code by its folder", () => {
    expect(packageOf("../main/node_modules/@aws-sdk/client-s3/dist-cjs/index.js")).toBe("@aws-sdk/client-s3");
    expect(packageOf("node_modules/a/node_modules/pure-rand/lib/esm/index.js")).toBe("pure-rand");
    expect(packageOf("node_modules/valibot/dist/index.js")).toBe("valibot");
    expect(packageOf("shared/tracing/tracer.ts")).toBe("shared/tracing");
    expect(packageOf("services/users/routes/signup.ts")).toBe("services/users");
    expect(packageOf("bench/floor.ts")).toBe("bench");
  });

  test("sums each package over the init closure only, and lists what the floor lacks or has less of", () => {
    const fn = metafile({
      "out/index.mjs": output(
        {
          "services/users/routes/signup.ts": 500,
          "node_modules/@aws-sdk/client-dynamodb/dist-cjs/index.js": 9_000,
          "node_modules/heavy/index.js": 3_000,
        },
        ["out/chunk-a.mjs"],
      ),
      "out/chunk-a.mjs": output({ "node_modules/heavy/lib.js": 1_000, "node_modules/@smithy/core/index.js": 2_600 }),
      // Imported dynamically by nothing here: not in the init closure below, so never counted.
      "out/lazy.mjs": output({ "node_modules/lazy/index.js": 50_000 }),
    });
    const floor = metafile({
      "floor/index.mjs": output({
        "floor.ts": 100,
        "node_modules/@aws-sdk/client-dynamodb/dist-cjs/index.js": 9_000,
        "node_modules/@smithy/core/index.js": 2_000,
      }),
    });
    const closure = ["out/index.mjs", "out/chunk-a.mjs"];
    expect(packageBytes(fn, closure)).toEqual([
      { pkg: "@aws-sdk/client-dynamodb", bytes: 9_000 },
      { pkg: "heavy", bytes: 4_000 },
      { pkg: "@smithy/core", bytes: 2_600 },
      { pkg: "services/users", bytes: 500 },
    ]);
    expect(
      excessOverFloor({ metafile: fn, entryOutputs: closure }, { metafile: floor, entryOutputs: ["floor/index.mjs"] }),
    ).toEqual([
      { pkg: "heavy", bytes: 4_000, floorBytes: 0 },
      { pkg: "@smithy/core", bytes: 600, floorBytes: 2_000 },
      { pkg: "services/users", bytes: 500, floorBytes: 0 },
    ]);
  });

  test("the message names every function over budget with its sizes, ratio and largest excess; none over, none", () => {
    const row = (name: string, initBytes: number, excess: BudgetRow["excess"]): BudgetRow => ({
      name,
      initBytes,
      floorBytes: 100 * 1024,
      ratio: initBytes / (100 * 1024),
      over: initBytes / (100 * 1024) > INIT_BUDGET,
      excess,
    });
    const heavy = { pkg: "heavy", bytes: 30 * 1024, floorBytes: 0 };
    const names = { pkg: "@aws-sdk/client-dynamodb", bytes: 300, floorBytes: 9_000 };
    const rows = [
      row("Fat", 130 * 1024, [heavy, { pkg: "@smithy/core", bytes: 2048, floorBytes: 1024 }, names]),
      row("Lean", 110 * 1024, [heavy]),
      row("Odd", 126 * 1024, [names]),
    ];
    expect(overBudget(rows)).toBe(
      [
        "2 functions over 1.25× their floor's init bundle:",
        "  Fat: init 130.0 KB, floor 100.0 KB, 1.30×; beyond the floor: heavy +30.0 KB (not in the floor), @smithy/core +2.0 KB",
        "  Odd: init 126.0 KB, floor 100.0 KB, 1.26×; beyond the floor: no package more than 1.0 KB",
      ].join("\n"),
    );
    expect(overBudget(rows.filter((r) => r.name === "Lean"))).toBe("");
  });
});

describe("the budget over real esbuild bundles", () => {
  /** The fixture handlers bundled as the stacks ship them, each against its own floor. */
  async function fixtureRows(...names: string[]) {
    const bundles = await Promise.all(names.map((n) => bundle(`${root}test/fixtures/handlers/${n}.ts`, n)));
    const floors = await floorsFor(root, bundles);
    built.push(...bundles, ...new Set([...floors.values()].map((f) => f.bundle)));
    return bundles.map((b, i) => ({
      bundle: b,
      floor: floors.get(b)!,
      row: budgetRow(names[i]!, b, floors.get(b)!.bundle),
    }));
  }

  test("a heavy static import is over budget and named; the same import made dynamic stays out of the init bundle", async () => {
    const [staticHeavy, dynamicHeavy] = await fixtureRows("budgetStaticHeavy", "budgetDynamicHeavy");
    // Both floors are the DynamoDB client alone: fast-check is not an SDK client.
    for (const f of [staticHeavy!, dynamicHeavy!])
      expect(f.floor.clients.map((c) => c.pkg)).toEqual(["@aws-sdk/client-dynamodb"]);

    expect(staticHeavy!.row.over).toBe(true);
    expect(staticHeavy!.row.excess[0]).toMatchObject({ pkg: "fast-check", floorBytes: 0 });
    expect(staticHeavy!.row.excess[0]!.bytes).toBeGreaterThan(100 * 1024);
    const message = overBudget([staticHeavy!.row, dynamicHeavy!.row]);
    expect(message).toMatch(/^1 function over 1\.25× their floor's init bundle:\n {2}budgetStaticHeavy: init /);
    expect(message).toContain("beyond the floor: fast-check +");

    // fast-check is still bundled, in a chunk the cold start does not load.
    expect(dynamicHeavy!.row.over).toBe(false);
    expect(dynamicHeavy!.row.ratio).toBeLessThan(1.01);
    expect(dynamicHeavy!.row.excess.map((p) => p.pkg)).not.toContain("fast-check");
    const lazy = Object.entries(dynamicHeavy!.bundle.metafile.outputs).filter(([, o]) =>
      Object.keys(o.inputs).some((input) => packageOf(input) === "fast-check"),
    );
    expect(lazy.length).toBeGreaterThan(0);
    for (const [file] of lazy) expect(dynamicHeavy!.bundle.entryOutputs).not.toContain(file);
    expect(dynamicHeavy!.bundle.totalBytes - dynamicHeavy!.bundle.entryBytes).toBeGreaterThan(100 * 1024);
  }, 120_000);

  /** Every handler file and every floor bundled once, side by side: about 30 s on a shared two-core machine. */
  const ALL_FUNCTIONS_TIMEOUT_MS = 180_000;

  test(
    `every function of the four services: init bundle within ${INIT_BUDGET}× its own floor's`,
    async () => {
      const topology = buildTopology(services);
      const rows = await functionBudgets(root, [...new Set(topology.functions.map((f) => f.service))]);
      expect(rows.map((r) => r.name).sort()).toEqual(topology.functions.map((f) => f.name).sort());
      expect(overBudget(rows)).toBe("");
    },
    ALL_FUNCTIONS_TIMEOUT_MS,
  );
});
