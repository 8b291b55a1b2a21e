/** One problem with a payload: where (`path`, dotted; `(root)` for the payload itself) and what. */
export interface PayloadIssue {
  /** Index of the payload in a `publishBatch` call; 0 for `publish`. */
  readonly index: number;
  readonly path: string;
  readonly message: string;
}

/** A payload does not match its contract's schema; nothing was sent. */
export class PublishValidationError extends Error {
  constructor(
    readonly type: string,
    readonly issues: readonly PayloadIssue[],
  ) {
    super(
      `${type}: payload does not match the contract: ${issues
        .map((issue) => `[${issue.index}] ${issue.path}: ${issue.message}`)
        .join("; ")}`,
    );
    this.name = "PublishValidationError";
  }
}

/** One event that did not get out, with the last error the transport gave for it. */
export interface PublishFailure {
  readonly eventId: string;
  readonly type: string;
  readonly code: string;
  readonly message: string;
}

/**
 * Some events were not published after the retries. `published` holds the ids that did get out, so a caller
 * can tell exactly what its consumers will see.
 */
export class PublishError extends Error {
  constructor(
    readonly failures: readonly PublishFailure[],
    readonly published: readonly string[],
  ) {
    const first = failures[0];
    super(
      `${failures.length} event(s) not published${first ? ` (${first.type})` : ""}: ${failures
        .map((failure) => `${failure.eventId} ${failure.code}: ${failure.message}`)
        .join("; ")}`,
    );
    this.name = "PublishError";
  }
}
