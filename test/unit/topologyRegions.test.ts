import { describe, expect, it } from "vitest";
import { services } from "../../services/index.js";
import {
  buildTopology,
  checkRegions,
  homeRegion,
  isMultiRegion,
  regionsFrom,
  replicaRegions,
} from "../../shared/topology/index.js";

describe("the regions option of the topology", () => {
  it("is absent by default: one region, the tables' own stream views", () => {
    const one = buildTopology(services);
    expect(one.regions).toBeUndefined();
    expect(isMultiRegion(one)).toBe(false);
    expect(homeRegion(one)).toBeUndefined();
    expect(replicaRegions(one, "us-east-1")).toEqual([]);
    expect(one.tables.map((t) => t.stream)).toEqual(one.tables.map(() => "NEW_IMAGE"));
    // One region named is still one region: nothing replicates.
    const named = buildTopology(services, { regions: ["eu-west-1"] });
    expect(isMultiRegion(named)).toBe(false);
    expect(named.tables.every((t) => t.stream === "NEW_IMAGE")).toBe(true);
  });

  it("with several, makes every table stream both images and replicate from the home region only", () => {
    const two = buildTopology(services, { regions: ["us-east-1", "eu-west-1", "ap-southeast-2"] });
    expect(homeRegion(two)).toBe("us-east-1");
    expect(two.tables.every((t) => t.stream === "NEW_AND_OLD_IMAGES")).toBe(true);
    expect(replicaRegions(two, "us-east-1")).toEqual(["eu-west-1", "ap-southeast-2"]);
    expect(replicaRegions(two, "eu-west-1")).toEqual([]);
    // Everything else is the single-region topology's.
    const one = buildTopology(services);
    expect(two.functions).toEqual(one.functions);
    expect(two.subscriptions).toEqual(one.subscriptions);
  });

  it("reads SUMMIT_REGIONS, and refuses what is not a list of distinct AWS regions", () => {
    expect(regionsFrom(undefined)).toBeUndefined();
    expect(regionsFrom(" ")).toBeUndefined();
    expect(regionsFrom("us-east-1, eu-west-1")).toEqual(["us-east-1", "eu-west-1"]);
    expect(regionsFrom("us-gov-west-1")).toEqual(["us-gov-west-1"]);
    expect(() => regionsFrom("us-east-1,useast1")).toThrow(/"useast1" is not an AWS region name/);
    expect(() => checkRegions(["eu-west-1", "eu-west-1"])).toThrow(/eu-west-1 named twice/);
    expect(() => checkRegions([])).toThrow(/one region at least/);
    expect(() => buildTopology(services, { regions: ["us-east-1", "US-EAST-2"] })).toThrow(/not an AWS region/);
  });
});
