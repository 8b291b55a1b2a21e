import { describe, expect, it } from "vitest";
import {
  decodeUpload,
  exceedsPixelLimit,
  MAX_INPUT_PIXELS,
  matchesClaimedType,
  sniffImageType,
  thumbnailSize,
} from "../../services/media/image/index.js";
import { makeImage, makePixelBomb } from "../fixtures/images/make.js";

const bytes = (...values: number[]) => Buffer.from(values);
const ascii = (text: string) => Buffer.from(text, "latin1");

describe("magic numbers", () => {
  it("knows PNG, JPEG and WebP by their signatures", () => {
    expect(sniffImageType(bytes(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13))).toBe("image/png");
    expect(sniffImageType(bytes(0xff, 0xd8, 0xff, 0xe0, 0, 16))).toBe("image/jpeg");
    expect(sniffImageType(Buffer.concat([ascii("RIFF"), bytes(1, 2, 3, 4), ascii("WEBPVP8 ")]))).toBe("image/webp");
  });

  it("refuses what only looks close, and what is too short to tell", () => {
    expect(sniffImageType(ascii("\u0089PNG\r\n\u001a"))).toBeUndefined(); // seven of the eight bytes
    expect(sniffImageType(bytes(0xff, 0xd8))).toBeUndefined();
    expect(sniffImageType(Buffer.concat([ascii("RIFF"), bytes(1, 2, 3, 4), ascii("WAVE")]))).toBeUndefined();
    expect(sniffImageType(ascii("not an image at all"))).toBeUndefined();
    expect(sniffImageType(Buffer.alloc(0))).toBeUndefined();
  });

  it("matches real files against the type they claim", async () => {
    const png = await makeImage("png", 20, 10);
    const jpeg = await makeImage("jpeg", 20, 10);
    const webp = await makeImage("webp", 20, 10);
    expect(matchesClaimedType(png, "image/png")).toBe(true);
    expect(matchesClaimedType(jpeg, "image/jpeg")).toBe(true);
    expect(matchesClaimedType(webp, "image/webp")).toBe(true);
    expect(matchesClaimedType(png, "image/jpeg")).toBe(false);
    expect(matchesClaimedType(webp, "image/png")).toBe(false);
  });
});

describe("thumbnail sizing", () => {
  it("makes the longest side 256 and keeps the aspect ratio, rounded", () => {
    expect(thumbnailSize({ width: 800, height: 600 })).toEqual({ width: 256, height: 192 });
    expect(thumbnailSize({ width: 600, height: 1000 })).toEqual({ width: 154, height: 256 });
    expect(thumbnailSize({ width: 1000, height: 333 })).toEqual({ width: 256, height: 85 });
    expect(thumbnailSize({ width: 1001, height: 999 })).toEqual({ width: 256, height: 255 });
    expect(thumbnailSize({ width: 10_000, height: 1 })).toEqual({ width: 256, height: 1 });
  });

  it("never enlarges", () => {
    expect(thumbnailSize({ width: 120, height: 80 })).toEqual({ width: 120, height: 80 });
    expect(thumbnailSize({ width: 256, height: 256 })).toEqual({ width: 256, height: 256 });
  });

  it("agrees with what sharp really produces", async () => {
    for (const [width, height] of [
      [800, 600],
      [257, 100],
      [333, 1000],
      [120, 80],
    ] as const) {
      const decoded = await decodeUpload(await makeImage("png", width, height), "image/png");
      if (!decoded.ok) throw new Error(decoded.reason);
      const { width: w, height: h } = decoded.thumbnail;
      expect({ width: w, height: h }).toEqual(thumbnailSize({ width, height }));
    }
  });
});

describe("the pixel limit", () => {
  it("is width × height against 40 MP", () => {
    expect(MAX_INPUT_PIXELS).toBe(40_000_000);
    expect(exceedsPixelLimit({ width: 8_000, height: 5_000 })).toBe(false);
    expect(exceedsPixelLimit({ width: 8_000, height: 5_001 })).toBe(true);
  });

  it("refuses a decompression bomb from its header", async () => {
    const bomb = await makePixelBomb();
    expect(bomb.length).toBeLessThan(1_000_000);
    const decoded = await decodeUpload(bomb, "image/png");
    expect(decoded).toEqual({ ok: false, reason: expect.stringMatching(/^too many pixels/) });
  });
});

describe("decodeUpload", () => {
  it("refuses bytes that are not the claimed type, and truncated files", async () => {
    const png = await makeImage("png", 400, 300);
    expect(await decodeUpload(Buffer.from("hello, I am a PNG"), "image/png")).toEqual({
      ok: false,
      reason: "not a PNG",
    });
    expect(await decodeUpload(png, "image/jpeg")).toEqual({ ok: false, reason: "not a JPEG" });
    for (const format of ["png", "jpeg", "webp"] as const) {
      const whole = await makeImage(format, 400, 300);
      const decoded = await decodeUpload(whole.subarray(0, Math.floor(whole.length * 0.6)), `image/${format}`);
      expect(decoded).toEqual({ ok: false, reason: expect.stringMatching(/truncated or corrupt/) });
    }
  });
});
