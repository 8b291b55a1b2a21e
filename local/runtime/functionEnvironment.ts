import { resolve } from "node:path";
import { type LinkedResource, linkEnv } from "../../shared/config.js";
import { type FunctionNode, handlerExport, handlerFile } from "../../shared/topology/index.js";
import type { Resources } from "./provision.js";

export interface FunctionEnvironmentInput {
  readonly fn: FunctionNode;
  readonly resources: Resources;
  /** The emulators' SDK variables (`AWS_ENDPOINT_URL_*`, region, credentials, X-Ray daemon address). */
  readonly emulatorEnv: Readonly<Record<string, string>>;
  /** The project root the handler references are relative to. */
  readonly root: string;
  readonly region: string;
  readonly accountId: string;
  readonly stage: string;
}

/** The ARN Lambda gives a function: `arn:aws:lambda:<region>:<account>:function:<name>`. */
export const functionArn = (region: string, accountId: string, name: string): string =>
  `arn:aws:lambda:${region}:${accountId}:function:${name}`;

/** `arn:aws:lambda:…:function:<name>[:<qualifier>]` → `<name>`. */
export function functionNameOf(arn: string): string | undefined {
  const parts = arn.split(":");
  return parts[2] === "lambda" && parts[5] === "function" ? parts[6] : undefined;
}

/**
 * The environment one function's sandboxes run with: what Lambda sets (Lambda developer guide, "Defined runtime
 * environment variables"), the emulators' endpoints, and `SST_RESOURCE_<Name>` for each link and alias, as SST's
 * `link` sets them in the cloud. Nothing of the runtime's own process leaks in but `PATH`.
 */
export function functionEnvironment(input: FunctionEnvironmentInput): Record<string, string> {
  const { fn, resources } = input;
  const linked = (name: string): LinkedResource => {
    const value = resources[name];
    if (!value) throw new Error(`${fn.name} links ${name}, which is not provisioned`);
    return value;
  };
  const links: Record<string, string> = {};
  for (const name of fn.links) Object.assign(links, linkEnv(name, linked(name)));
  for (const [alias, target] of Object.entries(fn.aliases)) Object.assign(links, linkEnv(alias, linked(target)));
  const file = resolve(input.root, `${handlerFile(fn.handler)}.ts`);
  return {
    PATH: process.env.PATH ?? "",
    ...(process.env.HOME ? { HOME: process.env.HOME } : {}),
    NODE_ENV: process.env.NODE_ENV ?? "development",
    ...input.emulatorEnv,
    AWS_REGION: input.region,
    AWS_DEFAULT_REGION: input.region,
    AWS_EXECUTION_ENV: "AWS_Lambda_nodejs22.x",
    _HANDLER: fn.handler,
    AWS_LAMBDA_FUNCTION_NAME: fn.name,
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(fn.memoryMb),
    AWS_LAMBDA_FUNCTION_VERSION: "$LATEST",
    AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${fn.name}`,
    AWS_LAMBDA_LOG_STREAM_NAME: `${new Date().toISOString().slice(0, 10).replaceAll("-", "/")}/[$LATEST]local`,
    AWS_LAMBDA_INITIALIZATION_TYPE: "on-demand",
    LAMBDA_TASK_ROOT: input.root,
    LAMBDA_RUNTIME_DIR: input.root,
    AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE: "1",
    POWERTOOLS_SERVICE_NAME: fn.service,
    SUMMIT_STAGE: input.stage,
    SUMMIT_FUNCTION_ARN: functionArn(input.region, input.accountId, fn.name),
    SUMMIT_HANDLER_FILE: file,
    SUMMIT_HANDLER_EXPORT: handlerExport(fn.handler),
    // Locally a route's success bodies are checked against its response schema (a drift is a logged 500).
    SUMMIT_VALIDATE_RESPONSES: "1",
    ...links,
  };
}
