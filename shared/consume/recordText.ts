/**
 * The text to keep for a poison record's bytes: the UTF-8 text when it is text SQS accepts, otherwise base64.
 * SQS bodies allow only #x9 | #xA | #xD | #x20–#xD7FF | #xE000–#xFFFD | #x10000–#x10FFFF.
 *
 * @example
 * ```ts
 * recordText(Buffer.from("{}")); // { body: "{}", encoding: "text" }
 * ```
 */
export function recordText(bytes: Buffer): { body: string; encoding: "text" | "base64" } {
  const text = bytes.toString("utf8");
  const roundTrips = Buffer.from(text, "utf8").equals(bytes);
  if (roundTrips && !disallowed.test(text)) return { body: text, encoding: "text" };
  return { body: bytes.toString("base64"), encoding: "base64" };
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: matching the control characters SQS refuses is the point
const disallowed = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/u;
