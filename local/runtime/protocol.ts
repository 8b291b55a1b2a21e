/** Messages between the runtime and a sandbox process. */
export interface InvokeMessage {
  readonly type: "invoke";
  readonly id: string;
  readonly event: unknown;
  /** The invocation's X-Ray trace header, set as `_X_AMZN_TRACE_ID` for exactly this invocation. */
  readonly traceHeader: string;
  readonly awsRequestId: string;
  readonly deadlineMs: number;
}

export interface ResultMessage {
  readonly type: "result";
  readonly id: string;
  readonly ok: boolean;
  readonly value?: unknown;
  readonly error?: InvocationErrorBody;
  /**
   * The lines the invocation wrote, as `[first, end)` line numbers of each stream since the process started: the
   * runtime reads the streams apart from these messages, so it attributes each line by its number, not its arrival.
   */
  readonly lines?: LineSpans;
}

export interface LineSpans {
  readonly stdout: readonly [number, number];
  readonly stderr: readonly [number, number];
}

export interface ReadyMessage {
  readonly type: "ready";
  readonly initMs: number;
}

export interface InitErrorMessage {
  readonly type: "init-error";
  readonly error: InvocationErrorBody;
}

/** What Lambda reports for a function error: `errorType`, `errorMessage`, `trace`. */
export interface InvocationErrorBody {
  readonly errorType: string;
  readonly errorMessage: string;
  readonly trace?: readonly string[];
}

export type SandboxMessage = ResultMessage | ReadyMessage | InitErrorMessage;
