/** The root domain of every stage, unless `SUMMIT_DOMAIN` says otherwise. */
export const DEFAULT_ROOT_DOMAIN = "api.example.com";

/**
 * The one custom domain a stage's APIs are mapped on: the root domain itself in production, `<stage>.<root>` for
 * every other stage, so that `sst deploy --stage alice` never touches production's domain.
 *
 * @example
 * ```ts
 * stageDomain("production"); // "api.example.com"
 * stageDomain("alice", "api.summit.dev"); // "alice.api.summit.dev"
 * ```
 */
export function stageDomain(stage: string, root: string | undefined = DEFAULT_ROOT_DOMAIN): string {
  const base = root?.trim() || DEFAULT_ROOT_DOMAIN;
  return stage === "production" ? base : `${stage}.${base}`;
}

/**
 * The stage domain's DNS in a multi-region stage: SST's Route 53 adapter, with the domain's alias records (A, AAAA)
 * made latency-based, one set per region (its `setIdentifier`), so each client resolves to the nearest region's API.
 * Every region's stage adds its own pair under the same name. The certificate's validation record is the same in
 * every region (ACM derives it from the domain), so a later region's stage overwrites it rather than failing.
 *
 * @example
 * ```ts
 * new sst.aws.ApiGatewayV1("UsersApi", { domain: { name: domain, path: "users", dns: latencyDns("eu-west-1") } });
 * ```
 */
export function latencyDns(region: string) {
  return sst.aws.dns({
    transform: {
      record: (args: aws.route53.RecordArgs) => {
        if (args.aliases) {
          args.setIdentifier = region;
          args.latencyRoutingPolicies = [{ region }];
        } else args.allowOverwrite = true;
      },
    },
  });
}
