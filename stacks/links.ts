/** What `link` accepts: an SST component that describes itself to the functions linked to it. */
export interface Linkable {
  readonly urn: $util.Output<string>;
  getSSTLink(): { properties: Record<string, unknown> };
}

/** Every linkable resource by its topology name, with extra properties handlers need beside SST's own. */
export interface LinkRegistry {
  readonly targets: Readonly<Record<string, Linkable>>;
  /** Added to a resource's link properties (the user pool's app client id, the bucket's CDN URL). */
  readonly extras: Readonly<Record<string, Record<string, $util.Input<string>>>>;
}

/**
 * The environment entry for one linked resource, as `Resource` reads it: `SST_RESOURCE_<name>` holding the
 * component's link properties plus its `type` (`sst.aws.Queue`), the very shape SST's `Link.build` gives.
 * SST itself ships links in an encrypted `resource.enc` inside the bundle and only `SST_RESOURCE_App` in the
 * environment; the handlers read the environment (`shared/config.ts`), so the stacks write it out.
 */
export function linkEnvironment(
  name: string,
  target: Linkable,
  extras: Record<string, $util.Input<string>> = {},
): [string, $util.Output<string>] {
  const value = $resolve([target.urn, $output(target.getSSTLink().properties), $output(extras)]).apply(
    ([urn, properties, extra]) => ({
      ...(properties as Record<string, unknown>),
      ...(extra as Record<string, string>),
      type: (urn ?? "").split("::").at(-2)?.replaceAll(":", ".") ?? "",
    }),
  );
  return [`SST_RESOURCE_${name}`, $jsonStringify(value)];
}
