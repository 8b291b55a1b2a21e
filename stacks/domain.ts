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
