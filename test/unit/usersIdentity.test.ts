import * as v from "valibot";
import { describe, expect, it } from "vitest";
import { signupRoute } from "../../services/users/api.js";
import { refusedFields, secondsUntilExpiry } from "../../services/users/identity.js";

/** A JWT-shaped token with `payload` (header and signature are never read). */
const jwt = (payload: unknown) =>
  ["eyJhbGciOiJSUzI1NiJ9", Buffer.from(JSON.stringify(payload)).toString("base64url"), "c2lnbmF0dXJl"].join(".");

describe("secondsUntilExpiry", () => {
  it("counts whole seconds from now to the token's exp", () => {
    expect(secondsUntilExpiry(jwt({ exp: 1_700_003_600 }), 1_700_000_000_000)).toBe(3600);
  });

  it("rounds the current time down to its second, as exp is in whole seconds", () => {
    expect(secondsUntilExpiry(jwt({ exp: 1_700_000_010 }), 1_700_000_000_999)).toBe(10);
  });

  it("is 0 for a token that has expired, not negative", () => {
    expect(secondsUntilExpiry(jwt({ exp: 1_700_000_000 }), 1_700_000_000_000)).toBe(0);
    expect(secondsUntilExpiry(jwt({ exp: 1_600_000_000 }), 1_700_000_000_000)).toBe(0);
  });

  it("reads a payload whose base64url uses - and _ (no padding)", () => {
    // This payload's base64 has + and /, which base64url writes as - and _.
    const token = jwt({ sub: "??>>~~", exp: 1_700_000_060 });
    expect(token.split(".")[1]).toMatch(/[-_]/);
    expect(secondsUntilExpiry(token, 1_700_000_000_000)).toBe(60);
  });

  it("defaults now to the clock", () => {
    const exp = Math.floor(Date.now() / 1000) + 300;
    const seconds = secondsUntilExpiry(jwt({ exp }));
    expect(seconds).toBeGreaterThanOrEqual(299);
    expect(seconds).toBeLessThanOrEqual(300);
  });

  it.each([
    ["no exp", jwt({ sub: "u1" })],
    ["an exp that is not a number", jwt({ exp: "1700000000" })],
  ])("refuses a token with %s", (_, token) => {
    expect(() => secondsUntilExpiry(token, 0)).toThrow("the access token carries no exp");
  });

  it.each([
    ["no payload part", "only-a-header"],
    ["a payload that is not JSON", `h.${Buffer.from("not json").toString("base64url")}.s`],
  ])("throws on a token with %s", (_, token) => {
    expect(() => secondsUntilExpiry(token, 0)).toThrow(SyntaxError);
  });
});

describe("what Cognito refuses at sign-up is a 400 naming the field", () => {
  it("maps InvalidParameterException's message to the fields it names", () => {
    const field = (message: string) => refusedFields(message).map((error) => error.path);
    expect(field("1 validation error detected: Value at 'password' failed to satisfy constraint: ...")).toEqual([
      "body.password",
    ]);
    expect(field("Value at 'username' failed to satisfy constraint")).toEqual(["body.email"]);
    expect(field("Value at 'userAttributes.1.member.value' failed")).toEqual(["body.email"]);
    expect(field("Invalid email address format.")).toEqual(["body"]);
  });

  it("refuses before Cognito does a password with a space at either end or a line break (its ^[\\S]+.*[\\S]+$)", () => {
    const body = { email: "pat@example.com", displayName: "Pat" };
    for (const password of [" leading-space", "trailing-space ", "line\nbreak-in-it", "\tpassword"]) {
      const result = v.safeParse(signupRoute.schemas.body, { ...body, password });
      expect(
        result.issues?.map((issue) => v.getDotPath(issue)),
        JSON.stringify(password),
      ).toEqual(["password"]);
    }
    for (const password of ["correct horse", "pw-8chars", "ünïcødé-ok"])
      expect(v.safeParse(signupRoute.schemas.body, { ...body, password }).success, password).toBe(true);
  });
});
