import { MAX_INPUT_PIXELS, THUMBNAIL_LONGEST_SIDE } from "./limits.js";

export interface Size {
  readonly width: number;
  readonly height: number;
}

/**
 * The size of a thumbnail whose longest side is `longest`, keeping the aspect ratio and never enlarging: what
 * sharp's `resize(longest, longest, { fit: "inside", withoutEnlargement: true })` produces (the shorter side
 * rounded to the nearest pixel, at least 1).
 *
 * @example
 * ```ts
 * thumbnailSize({ width: 800, height: 600 }); // { width: 256, height: 192 }
 * thumbnailSize({ width: 100, height: 40 });  // { width: 100, height: 40 }: never enlarged
 * ```
 */
export function thumbnailSize(size: Size, longest = THUMBNAIL_LONGEST_SIDE): Size {
  const { width, height } = size;
  if (width <= longest && height <= longest) return { width, height };
  if (width >= height) return { width: longest, height: Math.max(1, Math.round((height * longest) / width)) };
  return { width: Math.max(1, Math.round((width * longest) / height)), height: longest };
}

/** `true` when decoding the image would exceed the pixel limit (a decompression bomb, or just too big). */
export function exceedsPixelLimit(size: Size, limit = MAX_INPUT_PIXELS): boolean {
  return size.width * size.height > limit;
}
