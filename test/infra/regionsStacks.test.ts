/**
 * The multi-region option, synthesized offline: one stage in one region (the default), the same topology with two
 * regions deployed from its home region, and from its secondary region.
 *
 * What this proves: the home region declares every table as a global table with a replica in the other region,
 * streaming both images, under a name the other region finds it by; the secondary region creates no table and reads
 * those names; every region's API domain gets its own latency-based alias records; only the home region owns the CDN.
 *
 * What only a real deploy can show: that AWS accepts the replicas on tables that already exist (adding a replica to a
 * table with data backfills it), the replication lag between regions and what last-writer-wins does to concurrent
 * writes of one item, the second region's certificate validating through the record the first one made, Route 53's
 * latency routing itself, and everything `docs/multi-region.md` lists as not built yet.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildTopology, checkTopology } from "../../shared/topology/index.js";
import { fixtureServices } from "../fixtures/services/index.js";
import { breakResource } from "./breakage.js";
import { checkOutboxes, checkRegions, checkStage } from "./checks.js";
import { gallery } from "./galleryService.js";
import { type SynthResult, stopSynth, synthesize } from "./synth.js";

const DOMAIN = "ci.api.example.com";
const single = buildTopology([...fixtureServices, gallery]);
const multi = buildTopology([...fixtureServices, gallery], { regions: ["us-east-1", "eu-west-1"] });
const TABLE = "aws:dynamodb/table:Table";
const RECORD = "aws:route53/record:Record";

let one: SynthResult;
let home: SynthResult;
let secondary: SynthResult;

beforeAll(async () => {
  expect(checkTopology(multi)).toEqual([]);
  [one, home, secondary] = await Promise.all([
    synthesize(single),
    synthesize(multi),
    synthesize(multi, { region: "eu-west-1" }),
  ]);
}, 300_000);

afterAll(stopSynth);

const tables = (r: SynthResult) => r.resources.filter((x) => x.custom && x.type === TABLE);
const isAlias = (x: { type: string; inputs: Record<string, unknown> }) =>
  x.type === RECORD && String(x.inputs.name) === DOMAIN && Array.isArray(x.inputs.aliases);

describe("the stacks across regions", () => {
  it("synthesize in every region without errors", () => {
    expect(one.errors).toEqual([]);
    expect(home.errors).toEqual([]);
    expect(secondary.errors).toEqual([]);
  });

  it("stay single-region by default: no replicas, no latency-based records", () => {
    expect(single.regions).toBeUndefined();
    expect(checkRegions(one.resources, single, DOMAIN)).toEqual([]);
    expect(checkStage(one, single, DOMAIN)).toEqual([]);
    for (const table of tables(one)) expect(table.inputs.replicas ?? []).toEqual([]);
  });

  it("make every table global from the home region, streaming both images, under a name every region knows", () => {
    expect(checkRegions(home.resources, multi, DOMAIN, "us-east-1")).toEqual([]);
    expect(tables(home).length).toBe(multi.tables.length);
    for (const table of tables(home)) {
      expect(table.inputs.replicas).toEqual([{ regionName: "eu-west-1", pointInTimeRecovery: true }]);
      expect(table.inputs.streamViewType).toBe("NEW_AND_OLD_IMAGES");
      expect(table.inputs.name).toBe(`summit-ci-${table.name.replace(/Table$/, "")}`);
    }
    // The outbox publishers still read the (now two-image) streams as the topology says, and every other check holds.
    expect(checkOutboxes(home.resources, multi)).toEqual([]);
    expect(checkStage(home, multi, DOMAIN)).toEqual([]);
  });

  it("use the replicas from a secondary region instead of creating tables, and own no CDN there", () => {
    expect(checkRegions(secondary.resources, multi, DOMAIN, "eu-west-1")).toEqual([]);
    for (const table of tables(secondary)) expect(table.id).toMatch(/^summit-ci-/);
    // Each region's outbox publisher reads its own replica's stream.
    const sources = secondary.resources
      .filter((x) => x.custom && x.type === "aws:lambda/eventSourceMapping:EventSourceMapping")
      .map((x) => String(x.inputs.eventSourceArn));
    for (const outbox of multi.outboxes)
      expect(sources).toContain(`arn:aws:dynamodb:us-east-1:123456789012:table/summit-ci-${outbox.table}/stream/x`);
    const cdns = (r: SynthResult) =>
      r.resources.filter(
        (x) => x.custom && x.type === "aws:cloudfront/distribution:Distribution" && x.name.startsWith("Cdn"),
      ).length;
    expect(cdns(secondary)).toBe(0);
    expect(cdns(home)).toBe(cdns(one));
  });

  it("route the API domain by latency, one record set per region", () => {
    for (const [result, region] of [
      [home, "us-east-1"],
      [secondary, "eu-west-1"],
    ] as const) {
      const aliases = result.resources.filter(isAlias);
      expect(aliases.map((a) => a.inputs.type).sort()).toEqual(["A", "AAAA"]);
      for (const alias of aliases) {
        expect(alias.inputs.setIdentifier).toBe(region);
        expect(alias.inputs.latencyRoutingPolicies).toEqual([{ region }]);
      }
    }
  });

  it("catch a missing replica, a one-image stream, a plain record, and replicas in a single-region stage", () => {
    const [first] = multi.tables;
    const isFirst = (x: { type: string; name: string }) => x.type === TABLE && x.name === `${first!.name}Table`;
    const unreplicated = breakResource(home.resources, isFirst, (i) => {
      i.replicas = [];
    });
    expect(checkRegions(unreplicated, multi, DOMAIN, "us-east-1")).toEqual([
      `table ${first!.name}: replicas [], expected ["eu-west-1"]`,
    ]);
    const oneImage = breakResource(home.resources, isFirst, (i) => {
      i.streamViewType = "NEW_IMAGE";
    });
    expect(checkRegions(oneImage, multi, DOMAIN, "us-east-1")).toEqual([
      `table ${first!.name}: a global table streams NEW_AND_OLD_IMAGES, not NEW_IMAGE`,
    ]);
    const plain = breakResource(home.resources, isAlias, (i) => {
      delete i.latencyRoutingPolicies;
      delete i.setIdentifier;
    });
    expect(checkRegions(plain, multi, DOMAIN, "us-east-1")).toEqual([
      `A ${DOMAIN}: not latency-based for us-east-1 ([], undefined)`,
      `AAAA ${DOMAIN}: not latency-based for us-east-1 ([], undefined)`,
    ]);
    // The wrong region's records, and the home stage's resources checked as the secondary's.
    expect(checkRegions(home.resources, multi, DOMAIN, "eu-west-1")).toEqual(
      expect.arrayContaining([
        `table ${first!.name}: created in eu-west-1, which should use the home region's replica`,
        expect.stringMatching(/^A ci\.api\.example\.com: not latency-based for eu-west-1/),
      ]),
    );
    // A multi-region stage's resources are not a single-region one's.
    const problems = checkRegions(home.resources, single, DOMAIN);
    expect(problems).toContain(`table ${first!.name}: replicas ["eu-west-1"], expected []`);
    expect(problems).toContain(`A ${DOMAIN}: latency-based in a single-region stage`);
  });
});
