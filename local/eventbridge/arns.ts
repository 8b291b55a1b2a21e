/** Where an ARN points: `arn:aws:<service>:<region>:<account>:<resource>`. */
export interface ParsedArn {
  service: string;
  region: string;
  account: string;
  resource: string;
}

/**
 * Splits an ARN into its parts, or undefined when the text is not an ARN.
 *
 * @example
 * ```ts
 * parseArn("arn:aws:sqs:us-east-1:000000000000:orders"); // { service: "sqs", ..., resource: "orders" }
 * ```
 */
export function parseArn(arn: string): ParsedArn | undefined {
  const match = /^arn:aws[\w-]*:([\w-]+):([\w-]*):(\d*):(.+)$/.exec(arn);
  if (!match) return undefined;
  const [, service = "", region = "", account = "", resource = ""] = match;
  return { service, region, account, resource };
}

/** Operations take a bus by name or by ARN (`arn:aws:events:<region>:<account>:event-bus/<name>`). */
export function busNameOf(nameOrArn: string | undefined): string {
  if (nameOrArn === undefined || nameOrArn === "") return "default";
  const arn = parseArn(nameOrArn);
  return arn?.resource.startsWith("event-bus/") ? arn.resource.slice("event-bus/".length) : nameOrArn;
}
