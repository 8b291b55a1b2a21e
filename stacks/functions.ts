import {
  FUNCTION_RUNTIME,
  type FunctionNode,
  functionBuild,
  sstNodejs,
  type Topology,
} from "../shared/topology/index.js";
import type { LinkRegistry } from "./links.js";
import { linkEnvironment } from "./links.js";
import type { Transports } from "./transports.js";

/** Every function's Lambda runtime (the one `functionBuild` targets). */
export const RUNTIME = FUNCTION_RUNTIME;
/** Every function's architecture: a package installed into a function (`install`) is fetched for it. */
export const ARCHITECTURE = "x86_64";
/** The trust policy of a function's execution role: Lambda, and nobody else, may assume it. */
export const LAMBDA_TRUST_POLICY = JSON.stringify({
  Version: "2012-10-17",
  Statement: [{ Effect: "Allow", Action: "sts:AssumeRole", Principal: { Service: "lambda.amazonaws.com" } }],
});
/** AWS accepts 0–2 retries for asynchronous invocation. */
const MAX_ASYNC_RETRIES = 2;

export type Functions = Record<string, sst.aws.Function>;

function resolveLink(registry: LinkRegistry, fn: FunctionNode, name: string) {
  const target = registry.targets[name];
  if (!target) throw new Error(`${fn.name} links ${name}, which the stacks did not create`);
  return target;
}

/** The retries and failure destination of a function invoked asynchronously (by a bus rule or a topic). */
function asyncFailureHandling(topology: Topology, fn: FunctionNode) {
  const triggers = topology.subscriptions
    .filter((s) => s.function === fn.name)
    .map((s) => s.trigger)
    .filter((t) => t.kind === "async");
  const trigger = triggers[0];
  if (!trigger) return undefined;
  if (triggers.some((t) => t.retries !== trigger.retries || t.onFailure !== trigger.onFailure))
    throw new Error(`${fn.name} has async triggers with different failure handling; a function has one invoke config`);
  if (trigger.retries > MAX_ASYNC_RETRIES)
    throw new Error(`${fn.name} asks for ${trigger.retries} async retries; Lambda allows at most ${MAX_ASYNC_RETRIES}`);
  return trigger;
}

/**
 * One Lambda function per topology function. It is linked to exactly its topology links (SST turns each link into
 * an IAM statement on that resource and nothing else), and its environment names every link and alias as
 * `SST_RESOURCE_<name>`, so `FailureQueue` reads the consumer's own DLQ.
 */
export function createFunctions(topology: Topology, registry: LinkRegistry, transports: Transports): Functions {
  const functions: Functions = {};
  for (const fn of topology.functions) {
    const links = fn.links.map((name) => resolveLink(registry, fn, name));
    const environment: Record<string, $util.Input<string>> = { POWERTOOLS_SERVICE_NAME: fn.service };
    for (const name of fn.links) {
      const [key, value] = linkEnvironment(name, resolveLink(registry, fn, name), registry.extras[name]);
      environment[key] = value;
    }
    for (const [alias, name] of Object.entries(fn.aliases)) {
      if (!fn.links.includes(name))
        throw new Error(`${fn.name}'s alias ${alias} points at ${name}, which it does not link`);
      const [key, value] = linkEnvironment(alias, resolveLink(registry, fn, name), registry.extras[name]);
      environment[key] = value;
    }

    const failure = asyncFailureHandling(topology, fn);
    const onFailure = failure ? transports.queues[failure.onFailure] : undefined;
    if (failure && !onFailure) throw new Error(`${fn.name} fails over to ${failure.onFailure}, which does not exist`);

    functions[fn.name] = new sst.aws.Function(fn.name, {
      handler: fn.handler,
      runtime: RUNTIME,
      architecture: ARCHITECTURE,
      memory: `${fn.memoryMb} MB`,
      timeout: `${fn.timeoutSeconds} seconds`,
      ...(fn.concurrency ? { concurrency: { reserved: fn.concurrency } } : {}),
      link: links,
      environment,
      // The one build definition the local runtime and the bench use too, every option explicit (SST's own defaults
      // differ: unminified, keepNames, `module` first; see shared/topology/functionBuild.ts). Each publish transport
      // and its SDK client is a dynamic import (`shared/publish`): with splitting it is its own chunk, loaded on the
      // first publish over it. `install`: native modules (sharp) stay out of the bundle and are installed into the
      // package for this runtime and the function's architecture, so the binary is the one Lambda loads.
      nodejs: sstNodejs(functionBuild(fn.install ?? [], RUNTIME)),
      ...(failure && onFailure ? { retries: failure.retries } : {}),
      transform: {
        // SST 4.17.1 picks the role's trust policy with `!dev` on an Output (always false), so every role gets its
        // `sst dev` trust policy, which also trusts the account's root: any principal of the account allowed
        // sts:AssumeRole could act as the function. Outside `sst dev` only Lambda may assume it.
        ...($dev ? {} : { role: { assumeRolePolicy: LAMBDA_TRUST_POLICY } }),
        ...(failure && onFailure
          ? {
              // Lambda sends an event that failed every async attempt to the on-failure destination (the DLQ).
              eventInvokeConfig: (args: aws.lambda.FunctionEventInvokeConfigArgs) => {
                args.destinationConfig = { onFailure: { destination: onFailure.arn } };
              },
            }
          : {}),
      },
    });
  }
  return functions;
}
