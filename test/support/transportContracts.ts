import * as v from "valibot";
import { id, isoTime } from "../../events/fields.js";
import { defineEvent } from "../../shared/events/defineEvent.js";

/** Test contracts, one per transport, with a free `text` field to size events exactly. */
const note = {
  noteId: id,
  kind: v.picklist(["memo", "alert"]),
  count: v.pipe(v.number(), v.integer(), v.minValue(0)),
  text: v.string(),
  at: isoTime,
};

const base = { ordering: "none", replay: false, throughput: "standard", contentRules: false } as const;

export const NoteBroadcast = defineEvent({
  domain: "lab",
  name: "NoteBroadcast",
  version: 1,
  description: "Test: fan-out over the bus.",
  schema: v.object(note),
  needs: { ...base, fanOut: "many", buffering: false },
});

export const NotePushed = defineEvent({
  domain: "lab",
  name: "NotePushed",
  version: 1,
  description: "Test: pushed over a topic, filterable by kind and count.",
  schema: v.object(note),
  needs: { ...base, fanOut: "one", buffering: false },
  attributes: ["kind", "count"],
});

export const NoteQueued = defineEvent({
  domain: "lab",
  name: "NoteQueued",
  version: 2,
  description: "Test: buffered on a queue.",
  schema: v.object(note),
  needs: { ...base, fanOut: "one", buffering: true },
  attributes: ["kind"],
});

export const NoteStreamed = defineEvent({
  domain: "lab",
  name: "NoteStreamed",
  version: 1,
  description: "Test: ordered per note on a stream.",
  schema: v.object(note),
  needs: { ...base, fanOut: "few", ordering: "perKey", replay: true, buffering: false },
  partitionKey: "noteId",
});

/** A known X-Ray trace header, set as `_X_AMZN_TRACE_ID` so `currentTraceHeader()` returns it. */
export const traceHeader = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1";

export const notePayload = (overrides: Partial<v.InferInput<typeof NoteBroadcast.schema>> = {}) => ({
  noteId: "note-1",
  kind: "memo" as const,
  count: 3,
  text: "hello",
  at: "2025-01-02T03:04:05.000Z",
  ...overrides,
});
