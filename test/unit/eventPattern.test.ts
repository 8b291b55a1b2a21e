import { describe, expect, test } from "vitest";
import { matchesPattern, validatePattern } from "../../local/eventbridge/index.js";
import { invalidPatterns, patternCases } from "../support/eventPatternCases.js";

describe("matchesPattern follows the EventBridge user guide", () => {
  test.each(patternCases)("$source — $name (matches: $matches)", ({ pattern, event, matches }) => {
    expect(matchesPattern(pattern, event)).toBe(matches);
  });

  test("the table covers every documented operator with matching and non-matching events", () => {
    const operators = [
      "prefix",
      "suffix",
      "anything-but",
      "numeric",
      "exists",
      "cidr",
      "equals-ignore-case",
      "wildcard",
      "$or",
    ];
    for (const operator of operators) {
      const cases = patternCases.filter((c) => JSON.stringify(c.pattern).includes(`"${operator}"`));
      expect(
        cases.some((c) => c.matches),
        `${operator} has a matching case`,
      ).toBe(true);
      expect(
        cases.some((c) => !c.matches),
        `${operator} has a non-matching case`,
      ).toBe(true);
    }
  });
});

describe("validatePattern", () => {
  test.each(patternCases)("accepts the documented pattern: $source — $name", ({ pattern }) => {
    expect(validatePattern(pattern)).toBeUndefined();
  });

  test.each(invalidPatterns)("refuses $name", ({ pattern }) => {
    expect(validatePattern(pattern)).toMatch(/^Event pattern is not valid\. Reason: /);
  });
});
