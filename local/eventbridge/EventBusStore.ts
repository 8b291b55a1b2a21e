import type { Target } from "@aws-sdk/client-eventbridge";
import { busNameOf, parseArn } from "./arns.js";
import { EventBridgeError } from "./EventBridgeError.js";
import { type EventPattern, validatePattern } from "./matchPattern.js";

/** A rule as stored: its pattern is parsed once, at PutRule, not per event. */
export interface Rule {
  name: string;
  arn: string;
  busName: string;
  state: "ENABLED" | "DISABLED";
  eventPatternText?: string;
  eventPattern?: EventPattern;
  scheduleExpression?: string;
  description?: string;
  roleArn?: string;
  targets: Map<string, Target>;
}

/** Targets EventBridge can reach here; others are refused at PutTargets. */
const DELIVERABLE_SERVICES = new Set(["sqs", "sns", "lambda"]);
/** AWS allows five targets per rule. */
const MAX_TARGETS_PER_RULE = 5;

/**
 * Buses, rules and targets of one account and region, with the checks and error types AWS applies to the
 * management operations. The `default` bus always exists.
 *
 * @example
 * ```ts
 * const store = new EventBusStore("us-east-1", "000000000000");
 * store.putRule({ Name: "orders", EventPattern: '{"source":["shop"]}' });
 * ```
 */
export class EventBusStore {
  private readonly buses = new Map<string, Map<string, Rule>>([["default", new Map()]]);

  constructor(
    readonly region: string,
    readonly accountId: string,
  ) {}

  busArn(name: string): string {
    return `arn:aws:events:${this.region}:${this.accountId}:event-bus/${name}`;
  }

  /** Rules on the default bus have `rule/<name>`, rules on other buses `rule/<bus>/<name>`. */
  private ruleArn(busName: string, name: string): string {
    const path = busName === "default" ? name : `${busName}/${name}`;
    return `arn:aws:events:${this.region}:${this.accountId}:rule/${path}`;
  }

  rulesOf(busNameOrArn: string | undefined): Map<string, Rule> {
    const name = busNameOf(busNameOrArn);
    const rules = this.buses.get(name);
    if (!rules) throw new EventBridgeError("ResourceNotFoundException", `Event bus ${name} does not exist.`);
    return rules;
  }

  hasBus(busNameOrArn: string | undefined): boolean {
    return this.buses.has(busNameOf(busNameOrArn));
  }

  rule(name: string | undefined, busNameOrArn: string | undefined): Rule {
    const rule = this.rulesOf(busNameOrArn).get(name ?? "");
    if (!rule) {
      throw new EventBridgeError(
        "ResourceNotFoundException",
        `Rule ${name} does not exist on EventBus ${busNameOf(busNameOrArn)}.`,
      );
    }
    return rule;
  }

  createEventBus(input: { Name?: string }) {
    const name = input.Name ?? "";
    if (!/^[/.\-_A-Za-z0-9]{1,256}$/.test(name) || name === "default") {
      throw new EventBridgeError("ValidationException", `Event bus name ${name} is not valid.`);
    }
    if (this.buses.has(name))
      throw new EventBridgeError("ResourceAlreadyExistsException", `Event bus ${name} already exists.`);
    this.buses.set(name, new Map());
    return { EventBusArn: this.busArn(name) };
  }

  deleteEventBus(input: { Name?: string }) {
    const name = busNameOf(input.Name);
    if (name === "default") throw new EventBridgeError("ValidationException", "Cannot delete event bus default.");
    this.buses.delete(name);
    return {};
  }

  describeEventBus(input: { Name?: string }) {
    const name = busNameOf(input.Name);
    this.rulesOf(name);
    return { Name: name, Arn: this.busArn(name) };
  }

  listEventBuses(input: { NamePrefix?: string }) {
    const names = [...this.buses.keys()].filter((name) => name.startsWith(input.NamePrefix ?? "")).sort();
    return { EventBuses: names.map((name) => ({ Name: name, Arn: this.busArn(name) })) };
  }

  putRule(input: {
    Name?: string;
    EventPattern?: string;
    ScheduleExpression?: string;
    State?: string;
    Description?: string;
    RoleArn?: string;
    EventBusName?: string;
  }) {
    const name = input.Name ?? "";
    if (!/^[.\-_A-Za-z0-9]{1,64}$/.test(name))
      throw new EventBridgeError("ValidationException", `Rule name ${name} is not valid.`);
    if (input.EventPattern === undefined && input.ScheduleExpression === undefined) {
      throw new EventBridgeError(
        "ValidationException",
        "Parameter(s) EventPattern or ScheduleExpression must be specified.",
      );
    }
    if (input.State !== undefined && input.State !== "ENABLED" && input.State !== "DISABLED") {
      throw new EventBridgeError("ValidationException", `State ${input.State} is not valid.`);
    }
    const rules = this.rulesOf(input.EventBusName);
    const busName = busNameOf(input.EventBusName);
    const eventPattern = input.EventPattern === undefined ? undefined : parsePattern(input.EventPattern);
    // PutRule replaces a rule's settings but keeps its targets.
    const rule: Rule = {
      name,
      arn: this.ruleArn(busName, name),
      busName,
      state: input.State === "DISABLED" ? "DISABLED" : "ENABLED",
      eventPatternText: input.EventPattern,
      eventPattern,
      scheduleExpression: input.ScheduleExpression,
      description: input.Description,
      roleArn: input.RoleArn,
      targets: rules.get(name)?.targets ?? new Map(),
    };
    rules.set(name, rule);
    return { RuleArn: rule.arn };
  }

  describeRule(input: { Name?: string; EventBusName?: string }) {
    const rule = this.rule(input.Name, input.EventBusName);
    return { ...describe(rule), CreatedBy: this.accountId };
  }

  deleteRule(input: { Name?: string; EventBusName?: string }) {
    const rules = this.rulesOf(input.EventBusName);
    const rule = rules.get(input.Name ?? "");
    // Deleting a missing rule succeeds; a rule with targets must lose them first.
    if (rule && rule.targets.size > 0) {
      throw new EventBridgeError("ValidationException", "Rule can't be deleted since it has targets.");
    }
    rules.delete(input.Name ?? "");
    return {};
  }

  listRules(input: { NamePrefix?: string; EventBusName?: string }) {
    const rules = [...this.rulesOf(input.EventBusName).values()]
      .filter((rule) => rule.name.startsWith(input.NamePrefix ?? ""))
      .sort((a, b) => a.name.localeCompare(b.name));
    return { Rules: rules.map(describe) };
  }

  setRuleState(input: { Name?: string; EventBusName?: string }, state: Rule["state"]) {
    this.rule(input.Name, input.EventBusName).state = state;
    return {};
  }

  putTargets(input: { Rule?: string; EventBusName?: string; Targets?: Target[] }) {
    const rule = this.rule(input.Rule, input.EventBusName);
    const targets = input.Targets ?? [];
    const added = targets.filter((target) => !rule.targets.has(target.Id ?? "")).length;
    if (rule.targets.size + added > MAX_TARGETS_PER_RULE) {
      throw new EventBridgeError(
        "LimitExceededException",
        `The requested resource exceeds the maximum number allowed.`,
      );
    }
    const FailedEntries: { TargetId?: string; ErrorCode: string; ErrorMessage: string }[] = [];
    for (const target of targets) {
      const problem = targetProblem(target);
      if (problem) FailedEntries.push({ TargetId: target.Id, ErrorCode: "ValidationException", ErrorMessage: problem });
      else rule.targets.set(target.Id!, target);
    }
    return { FailedEntryCount: FailedEntries.length, FailedEntries };
  }

  removeTargets(input: { Rule?: string; EventBusName?: string; Ids?: string[] }) {
    const rule = this.rule(input.Rule, input.EventBusName);
    for (const id of input.Ids ?? []) rule.targets.delete(id);
    return { FailedEntryCount: 0, FailedEntries: [] };
  }

  listTargetsByRule(input: { Rule?: string; EventBusName?: string }) {
    return { Targets: [...this.rule(input.Rule, input.EventBusName).targets.values()] };
  }

  listRuleNamesByTarget(input: { TargetArn?: string; EventBusName?: string }) {
    const rules = [...this.rulesOf(input.EventBusName).values()];
    const names = rules.filter((rule) => [...rule.targets.values()].some((target) => target.Arn === input.TargetArn));
    return { RuleNames: names.map((rule) => rule.name).sort() };
  }
}

/** Parses and validates an EventPattern string as PutRule and TestEventPattern do. */
export function parsePattern(text: string): EventPattern {
  let pattern: unknown;
  try {
    pattern = JSON.parse(text);
  } catch {
    throw new EventBridgeError(
      "InvalidEventPatternException",
      "Event pattern is not valid. Reason: it is not valid JSON",
    );
  }
  const problem = validatePattern(pattern);
  if (problem !== undefined) throw new EventBridgeError("InvalidEventPatternException", problem);
  return pattern as EventPattern;
}

function describe(rule: Rule) {
  return {
    Name: rule.name,
    Arn: rule.arn,
    EventPattern: rule.eventPatternText,
    ScheduleExpression: rule.scheduleExpression,
    State: rule.state,
    Description: rule.description,
    RoleArn: rule.roleArn,
    EventBusName: rule.busName,
  };
}

/** Why a target cannot be added, as PutTargets reports it per entry. */
function targetProblem(target: Target): string | undefined {
  if (!target.Id || !/^[.\-_A-Za-z0-9]{1,64}$/.test(target.Id)) return `Target Id ${target.Id} is not valid.`;
  const arn = parseArn(target.Arn ?? "");
  if (!arn) return `Parameter ${target.Arn} is not valid. Reason: Provided Arn is not in correct format.`;
  if (!DELIVERABLE_SERVICES.has(arn.service)) {
    return `Targets of service ${arn.service} are not delivered by the local EventBridge; use sqs, sns or lambda.`;
  }
  const inputs = [target.Input, target.InputPath, target.InputTransformer].filter((x) => x !== undefined);
  if (inputs.length > 1) return "Only one of Input, InputPath, or InputTransformer can be provided.";
  if (target.Input !== undefined && !isJson(target.Input)) {
    return "Parameter Input is not valid. Reason: Input is not valid JSON text.";
  }
  const dlq = target.DeadLetterConfig?.Arn;
  if (dlq !== undefined && parseArn(dlq)?.service !== "sqs") {
    return `Parameter DeadLetterConfig.Arn ${dlq} is not valid. Reason: it must be an SQS queue ARN.`;
  }
  return undefined;
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}
