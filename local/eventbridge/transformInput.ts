import type { Target } from "@aws-sdk/client-eventbridge";

/** What a rule sent to one target: the event, and the context input transformers may refer to. */
export interface Delivery {
  event: Record<string, unknown>;
  ruleArn: string;
  ruleName: string;
  ingestionTime: string;
}

/**
 * Reads a JSON path of the form `$`, `$.detail.state` or `$.resources[0]` ("Transforming target input").
 *
 * @example
 * ```ts
 * readJsonPath({ detail: { state: "running" } }, "$.detail.state"); // "running"
 * ```
 */
export function readJsonPath(document: unknown, path: string): unknown {
  const steps = path.replace(/^\$/, "").match(/[^.[\]]+/g) ?? [];
  let current = document;
  for (const step of steps) {
    if (typeof current !== "object" || current === null) return undefined;
    current = (current as Record<string, unknown>)[step.replace(/^['"]|['"]$/g, "")];
  }
  return current;
}

/**
 * The body a target receives: the whole event by default, `Input` as given, the part `InputPath` selects, or the
 * `InputTemplate` of an `InputTransformer` with its `<variables>` filled from `InputPathsMap` and the predefined
 * `aws.events.*` variables. Inside a quoted JSON string a variable is inserted as text; elsewhere as its JSON value,
 * `null` when the path is missing from the event.
 *
 * @example
 * ```ts
 * targetInput({ Id: "t", Arn, InputTransformer: { InputPathsMap: { s: "$.detail.state" }, InputTemplate: '{"state": <s>}' } }, delivery);
 * ```
 */
export function targetInput(target: Target, delivery: Delivery): string {
  if (target.Input !== undefined) return target.Input;
  if (target.InputPath !== undefined) return JSON.stringify(readJsonPath(delivery.event, target.InputPath) ?? null);
  const transformer = target.InputTransformer;
  if (transformer?.InputTemplate === undefined) return JSON.stringify(delivery.event);
  const variables: Record<string, unknown> = {
    "aws.events.rule-arn": delivery.ruleArn,
    "aws.events.rule-name": delivery.ruleName,
    "aws.events.event.ingestion-time": delivery.ingestionTime,
    "aws.events.event": delivery.event,
    "aws.events.event.json": delivery.event,
  };
  for (const [name, path] of Object.entries(transformer.InputPathsMap ?? {})) {
    variables[name] = readJsonPath(delivery.event, path);
  }
  return fillTemplate(transformer.InputTemplate, variables);
}

function fillTemplate(template: string, variables: Record<string, unknown>): string {
  let output = "";
  let inString = false;
  for (let i = 0; i < template.length; i++) {
    const char = template[i]!;
    if (char === "\\" && inString) {
      output += char + (template[++i] ?? "");
      continue;
    }
    if (char === '"') inString = !inString;
    const name = char === "<" ? /^<([^<>\s]+)>/.exec(template.slice(i))?.[1] : undefined;
    if (name === undefined || !Object.hasOwn(variables, name)) {
      output += char;
      continue;
    }
    const value = variables[name];
    if (!inString) output += JSON.stringify(value ?? null);
    else if (value !== undefined)
      output += JSON.stringify(typeof value === "string" ? value : JSON.stringify(value)).slice(1, -1);
    i += name.length + 1;
  }
  return output;
}
