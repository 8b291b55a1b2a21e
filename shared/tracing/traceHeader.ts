/** The parts of an X-Ray trace header: `Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1`. */
export interface TraceContext {
  readonly root: string;
  readonly parent?: string;
  readonly sampled?: boolean;
}

const ROOT = /^1-[0-9a-f]{8}-[0-9a-f]{24}$/;
const ID = /^[0-9a-f]{16}$/;

/** Parses an X-Ray trace header; anything that is not one gives `undefined` (a bad header never breaks a hop). */
export function parseTraceHeader(header: string | undefined | null): TraceContext | undefined {
  if (!header) return undefined;
  let root: string | undefined;
  let parent: string | undefined;
  let sampled: boolean | undefined;
  for (const part of header.split(";")) {
    const [key, value] = part.trim().split("=", 2);
    if (key === "Root" && value && ROOT.test(value)) root = value;
    else if (key === "Parent" && value && ID.test(value)) parent = value;
    else if (key === "Sampled") sampled = value === "1";
  }
  if (!root) return undefined;
  return { root, ...(parent ? { parent } : {}), ...(sampled !== undefined ? { sampled } : {}) };
}

export function formatTraceHeader(context: TraceContext): string {
  let header = `Root=${context.root}`;
  if (context.parent) header += `;Parent=${context.parent}`;
  if (context.sampled !== undefined) header += `;Sampled=${context.sampled ? 1 : 0}`;
  return header;
}

/** A new X-Ray trace id: the epoch seconds in hex, then 96 random bits. */
export function newTraceId(now: number = Date.now()): string {
  const seconds = Math.floor(now / 1000)
    .toString(16)
    .padStart(8, "0");
  const random = Array.from(crypto.getRandomValues(new Uint8Array(12)), (b) => b.toString(16).padStart(2, "0")).join(
    "",
  );
  return `1-${seconds}-${random}`;
}

/** A new segment id: 64 random bits in hex. */
export function newSegmentId(): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(8)), (b) => b.toString(16).padStart(2, "0")).join("");
}
