import type { EventContract } from "../../events/defineEvent.js";

/**
 * What every kind of per-service resource declares beside its own options. The topology reads only these fields, so a
 * new kind (a cache, a CDN in front of the API) is a file here, a builder in `stacks/resources/` and a provisioner in
 * `local/runtime/resources/`, and nothing in the topology core.
 */
export interface ResourceDeclaration<Kind extends string, Options> {
  readonly kind: Kind;
  /** The kind's own settings as plain data (events by type name): what its builders and provisioners read. */
  readonly options: Options;
  /** The service's functions reach it by default, as they reach its tables (a route's `links` can narrow that). */
  readonly linkable: boolean;
  /** Events the resource raises itself (a bucket's object-created notifications): they count as published. */
  readonly raises: readonly EventContract[];
}
