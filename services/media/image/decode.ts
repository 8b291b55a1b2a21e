import sharp, { type Metadata } from "sharp";
import { MAX_INPUT_PIXELS, THUMBNAIL_LONGEST_SIDE } from "./limits.js";
import { type ImageType, matchesClaimedType, typeName } from "./magic.js";
import { exceedsPixelLimit, type Size } from "./sizing.js";

/** A thumbnail's bytes and what they are. */
export interface Thumbnail extends Size {
  readonly bytes: Buffer;
  readonly contentType: "image/webp";
}

/** What checking an upload found: the image's (displayed) size and its thumbnail, or why it is not usable. */
export type Decoded =
  | { readonly ok: true; readonly width: number; readonly height: number; readonly thumbnail: Thumbnail }
  | { readonly ok: false; readonly reason: string };

const SHARP_FORMAT: Record<ImageType, string> = { "image/jpeg": "jpeg", "image/png": "png", "image/webp": "webp" };

/**
 * Checks the bytes against the type the upload claimed and makes the thumbnail, in this order, each step only
 * when the one before passed:
 * 1. the magic number must be the claimed type's (`not a PNG`);
 * 2. the header must parse, as the claimed format, and name a size within {@link MAX_INPUT_PIXELS}, read before
 *    any pixel is decoded (`too many pixels`, a decompression bomb);
 * 3. the whole image must decode without error (`failOn: "error"`: a truncated or corrupt file fails here), while
 *    it is shrunk to a thumbnail whose longest side is {@link THUMBNAIL_LONGEST_SIDE}, never enlarged, upright
 *    per its EXIF orientation.
 *
 * The thumbnail is always WebP: one type for every thumbnail, with alpha (a transparent PNG stays transparent,
 * which JPEG cannot do), and a fraction of a PNG's size; every browser in use decodes it.
 *
 * @example
 * ```ts
 * const decoded = await decodeUpload(bytes, "image/png");
 * if (!decoded.ok) await markFailed(mediaId, decoded.reason);
 * ```
 */
export async function decodeUpload(bytes: Buffer, claimed: ImageType): Promise<Decoded> {
  const name = typeName(claimed);
  if (!matchesClaimedType(bytes, claimed)) return { ok: false, reason: `not a ${name}` };

  const options = { limitInputPixels: MAX_INPUT_PIXELS, failOn: "error" } as const;
  let metadata: Metadata;
  try {
    metadata = await sharp(bytes, options).metadata();
  } catch (error) {
    return { ok: false, reason: failure(name, error) };
  }
  if (metadata.format !== SHARP_FORMAT[claimed]) return { ok: false, reason: `not a ${name}` };
  const { width, height } = metadata;
  if (!width || !height) return { ok: false, reason: `not a readable ${name}: no size in its header` };
  if (exceedsPixelLimit({ width, height })) {
    return { ok: false, reason: `too many pixels: ${width}×${height}, more than ${MAX_INPUT_PIXELS} allowed` };
  }
  // EXIF orientations 5–8 turn the image a quarter: the displayed size swaps width and height.
  const turned = (metadata.orientation ?? 1) >= 5;
  const shown = turned ? { width: height, height: width } : { width, height };

  try {
    const { data, info } = await sharp(bytes, options)
      .rotate()
      .resize(THUMBNAIL_LONGEST_SIDE, THUMBNAIL_LONGEST_SIDE, { fit: "inside", withoutEnlargement: true })
      .webp({ quality: 80 })
      .toBuffer({ resolveWithObject: true });
    return {
      ok: true,
      ...shown,
      thumbnail: { bytes: data, contentType: "image/webp", width: info.width, height: info.height },
    };
  } catch (error) {
    return { ok: false, reason: failure(name, error) };
  }
}

// libvips' own words are the useful part ("VipsJpeg: premature end of JPEG image"); the pixel limit gets ours.
function failure(name: string, error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  if (/pixel limit/i.test(message)) return `too many pixels: more than ${MAX_INPUT_PIXELS} allowed`;
  return `not a readable ${name} (truncated or corrupt): ${message.split("\n")[0]?.slice(0, 200)}`;
}
