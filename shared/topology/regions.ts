/**
 * The regions a stage runs in, home first. One region is the default: everything below only matters with two or
 * more. With several, each region has its own stage (its functions, transports, API and user pool), every table is a
 * DynamoDB global table replicated to every region, and Route 53 sends each client to the nearest region's API
 * (latency-based records). See `docs/multi-region.md` for what that changes and what it does not.
 */

/** An AWS region's name: `us-east-1`, `eu-west-1`, `ap-southeast-2`, `us-gov-west-1`. */
const REGION_NAME = /^[a-z]{2}(-gov)?-[a-z]+-\d$/;

/**
 * The regions, checked: AWS region names, none twice, at least one. Throws on anything else.
 *
 * @example
 * ```ts
 * checkRegions(["us-east-1", "eu-west-1"]); // ["us-east-1", "eu-west-1"]
 * checkRegions(["us-east-1", "us-east-1"]); // throws: us-east-1 twice
 * ```
 */
export function checkRegions(regions: readonly string[]): readonly string[] {
  if (regions.length === 0) throw new Error("a stage runs in one region at least");
  for (const region of regions)
    if (!REGION_NAME.test(region)) throw new Error(`${JSON.stringify(region)} is not an AWS region name`);
  const twice = regions.filter((r, i) => regions.indexOf(r) !== i);
  if (twice.length > 0) throw new Error(`${twice.join(", ")} named twice among the regions`);
  return regions;
}

/**
 * The regions named in a comma-separated setting (`SUMMIT_REGIONS="us-east-1,eu-west-1"`), or none when it is unset
 * or empty.
 *
 * @example
 * ```ts
 * regionsFrom(process.env.SUMMIT_REGIONS); // ["us-east-1", "eu-west-1"], or undefined
 * ```
 */
export function regionsFrom(setting: string | undefined): readonly string[] | undefined {
  const names = (setting ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  return names.length > 0 ? checkRegions(names) : undefined;
}

/** The home region: the first named, where the global tables are declared. Undefined for a single-region topology. */
export const homeRegion = (topology: { readonly regions?: readonly string[] }): string | undefined =>
  topology.regions?.[0];

/** Whether the stage runs in more than one region. */
export const isMultiRegion = (topology: { readonly regions?: readonly string[] }): boolean =>
  (topology.regions?.length ?? 0) > 1;

/**
 * The regions a table deployed from `region` replicates to: every other region when `region` is the home region
 * (which declares the global tables), none anywhere else (a secondary region's stage uses its replicas) and none in a
 * single-region topology.
 */
export function replicaRegions(topology: { readonly regions?: readonly string[] }, region: string): string[] {
  if (!isMultiRegion(topology) || region !== homeRegion(topology)) return [];
  return topology.regions!.filter((r) => r !== region);
}
