/** The image types an upload may claim (`POST /media/uploads` accepts only these). */
export type ImageType = "image/jpeg" | "image/png" | "image/webp";

const PNG = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a] as const;
const JPEG = [0xff, 0xd8, 0xff] as const;
const RIFF = [0x52, 0x49, 0x46, 0x46] as const; // "RIFF"
const WEBP = [0x57, 0x45, 0x42, 0x50] as const; // "WEBP"

function startsWith(bytes: Uint8Array, signature: readonly number[], offset = 0): boolean {
  if (bytes.length < offset + signature.length) return false;
  return signature.every((byte, i) => bytes[offset + i] === byte);
}

/**
 * The image type the bytes' magic number names, or `undefined`: PNG's eight-byte signature (PNG spec §5.2), JPEG's
 * SOI marker followed by the first marker's `FF` (ITU T.81 B.1.1.3), WebP's `RIFF` container with `WEBP` at byte 8
 * (RFC 9649 §2.5). Only the first twelve bytes are read.
 *
 * @example
 * ```ts
 * sniffImageType(await readFile("a.png")); // "image/png"
 * ```
 */
export function sniffImageType(bytes: Uint8Array): ImageType | undefined {
  if (startsWith(bytes, PNG)) return "image/png";
  if (startsWith(bytes, JPEG)) return "image/jpeg";
  if (startsWith(bytes, RIFF) && startsWith(bytes, WEBP, 8)) return "image/webp";
  return undefined;
}

/** `true` when the bytes start with the magic number of `claimed`. */
export function matchesClaimedType(bytes: Uint8Array, claimed: ImageType): boolean {
  return sniffImageType(bytes) === claimed;
}

/** The short name used in failure reasons: `not a PNG`. */
export function typeName(type: ImageType): string {
  return { "image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WebP" }[type];
}
