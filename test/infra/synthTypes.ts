/** One resource the stacks declared, as the Pulumi engine would receive it (after every transformation). */
export interface SynthResource {
  readonly type: string;
  readonly name: string;
  readonly inputs: Record<string, unknown>;
  /** `false` for component resources (SST components), `true` for cloud resources. */
  readonly custom: boolean;
  /** The physical id, for resources read rather than created (`DomainName.get`). */
  readonly id?: string;
  /** The physical id the mocked provider gave it (what other resources' inputs hold when they name it by id). */
  readonly physicalId?: string;
  /** The ARN the mocked provider gave it, when it has one. */
  readonly arn?: string;
}

/** A provider function the stacks called (`aws:index/getRegion:getRegion`, …). */
export interface SynthCall {
  readonly token: string;
  readonly inputs: Record<string, unknown>;
}

export interface SynthRequest {
  /** The topology as JSON (event schemas left out: the stacks never read them). */
  readonly topology?: unknown;
  readonly stage: string;
  /** `deploy`: `deploy(topology)` from `stacks/`; `config`: the whole `sst.config.ts` `run()` over `services/`. */
  readonly mode: "deploy" | "config";
  readonly tracing?: boolean;
  /** The region the stage deploys into (a multi-region topology's; default its home region). */
  readonly region?: string;
  readonly root: string;
  readonly work: string;
  readonly platform: string;
  readonly resultFile: string;
}

export interface SynthResult {
  readonly app: { name: string; stage: string; removal: string; protect: boolean };
  readonly resources: SynthResource[];
  readonly calls: SynthCall[];
  /** Calls the mocks had no answer for (answered with their inputs). */
  readonly unknownCalls: string[];
  /** `type name` of every resource declared with `retainOnDelete`. */
  readonly retained: string[];
  /** What `run()` returned (SST adds `_protect`). */
  readonly outputs: Record<string, unknown>;
  /** Errors thrown by the program, in `apply` callbacks or as unhandled rejections. */
  readonly errors: string[];
  /** The handler `Runtime.Build` bundled for each function id (set by the harness). */
  readonly builds: Record<string, string>;
  /** The function ids bundled with code splitting (set by the harness). */
  readonly splitBuilds: readonly string[];
  /** The packages each function installs instead of bundling (`nodejs.install`), for which architecture (the harness). */
  readonly installs: Readonly<
    Record<
      string,
      { readonly packages: readonly string[]; readonly architecture: string; readonly bundled: readonly string[] }
    >
  >;
  /** What each function asked SST's build for: its runtime and `nodejs` args (set by the harness). */
  readonly nodejs: Readonly<
    Record<string, { readonly runtime: string; readonly nodejs: Readonly<Record<string, unknown>> }>
  >;
  readonly elapsedMs: number;
}
