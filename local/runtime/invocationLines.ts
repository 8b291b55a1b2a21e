import type { LineSpans } from "./protocol.js";

type Stream = keyof LineSpans;

/** A line a sandbox wrote, with the invocation it belongs to (absent: written outside any, as init logs are). */
export interface AttributedLine {
  readonly line: string;
  readonly stream: Stream;
  readonly invocation?: string;
}

interface Span {
  readonly invocation: string;
  readonly lines: LineSpans;
}

const within = (span: Span, stream: Stream, index: number) =>
  index >= span.lines[stream][0] && index < span.lines[stream][1];

/**
 * Attributes each line a sandbox writes to the invocation that wrote it, exactly: the sandbox numbers the lines each
 * invocation wrote (`[first, end)` per stream, in its result), and the runtime numbers the lines it reads. Lines and
 * results travel apart (pipes and the IPC channel), so a line read while an invocation runs waits for that
 * invocation's result to be placed, and a line read after it (a late chunk of the pipe) is placed by the spans
 * already known. A line written outside every invocation (init, a timer after the handler returned) has none.
 *
 * @example
 * ```ts
 * const lines = new InvocationLines((l) => store.add(l));
 * lines.start(traceHeader); child.on("line", (s, l) => lines.line(s, l)); lines.end(result.lines);
 * ```
 */
export class InvocationLines {
  private readonly read: Record<Stream, number> = { stdout: 0, stderr: 0 };
  private readonly pending: { stream: Stream; index: number; line: string }[] = [];
  /** The last few invocations' spans: late lines of the previous one may still arrive during the next. */
  private readonly known: Span[] = [];
  private current?: string;

  constructor(
    private readonly emit: (line: AttributedLine) => void,
    private readonly maxPending = 10_000,
  ) {}

  /** An invocation was handed to the sandbox. */
  start(invocation: string): void {
    this.current = invocation;
  }

  /** A whole line was read from `stream`. */
  line(stream: Stream, line: string): void {
    const index = this.read[stream]++;
    const span = this.known.find((s) => within(s, stream, index));
    if (span || this.current === undefined) {
      this.emit(span ? { line, stream, invocation: span.invocation } : { line, stream });
      return;
    }
    // Bounded: a sandbox that writes without end must not grow the runtime without end.
    if (this.pending.length >= this.maxPending) this.flush(this.pending.splice(0, 1), undefined);
    this.pending.push({ stream, index, line });
  }

  /** The invocation's result arrived with its spans; without them (the process died) its lines cannot be placed. */
  end(lines: LineSpans | undefined): void {
    const invocation = this.current;
    this.current = undefined;
    if (invocation === undefined) return;
    const span = lines ? { invocation, lines } : undefined;
    if (span) {
      this.known.push(span);
      if (this.known.length > 2) this.known.shift();
    }
    this.flush(this.pending.splice(0), span);
  }

  private flush(lines: readonly { stream: Stream; index: number; line: string }[], span: Span | undefined): void {
    for (const { stream, index, line } of lines)
      this.emit(span && within(span, stream, index) ? { line, stream, invocation: span.invocation } : { line, stream });
  }
}
