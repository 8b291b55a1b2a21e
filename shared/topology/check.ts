import type { Topology } from "./topology.js";

/** One thing wrong with the topology, in words a reviewer can act on. */
export type TopologyProblem = string;

/** Route templates collide when they match the same requests: `/{id}` and `/{userId}` do; `/popular` and `/{id}` do not. */
function routeShape(path: string): string {
  return path
    .split("/")
    .map((segment) => (segment.startsWith("{") ? "{}" : segment))
    .join("/");
}

/**
 * The consistency rules the whole system must keep. `npm test` runs them over the real services; each rule has a
 * test that breaks it on purpose.
 *
 * @example
 * ```ts
 * expect(checkTopology(buildTopology(services))).toEqual([]);
 * ```
 */
export function checkTopology(topology: Topology): TopologyProblem[] {
  const problems: TopologyProblem[] = [];
  const producers = new Map<string, string[]>();
  for (const service of topology.services)
    for (const type of service.publishes) producers.set(type, [...(producers.get(type) ?? []), service.name]);

  for (const [type, names] of producers) {
    const contract = topology.events[type];
    if (names.length > 1) problems.push(`${type} is published by ${names.join(" and ")}: an event has one producer`);
    if (contract && names[0] !== contract.domain)
      problems.push(`${type} is published by ${names[0]}, but its contract belongs to ${contract.domain}`);
  }

  const functionNames = new Set(topology.functions.map((f) => f.name));
  const queueNames = new Set(topology.queues.map((q) => q.name));

  for (const sub of topology.subscriptions) {
    if (!producers.has(sub.event) && !isBucketFed(topology, sub.event))
      problems.push(`${sub.function} consumes ${sub.event}, which no service publishes`);
    if (!queueNames.has(sub.failureDestination))
      problems.push(`${sub.function} consumes ${sub.event} with no failure destination`);
    if (sub.trigger.kind === "sqs") {
      const queue = topology.queues.find((q) => q.name === (sub.trigger.kind === "sqs" ? sub.trigger.queue : ""));
      if (!queue?.dlq || !queueNames.has(queue.dlq))
        problems.push(`${sub.function}'s queue for ${sub.event} has no redrive policy to a DLQ`);
    }
    if (!functionNames.has(sub.function)) problems.push(`subscription ${sub.name} names no function`);
  }

  const sqsConsumers = new Map<string, string[]>();
  for (const sub of topology.subscriptions)
    if (sub.transport === "sqs") sqsConsumers.set(sub.event, [...(sqsConsumers.get(sub.event) ?? []), sub.function]);
  for (const [type, fns] of sqsConsumers)
    if (fns.length > 1) problems.push(`${type} travels on SQS but has ${fns.length} consumers (${fns.join(", ")})`);
  for (const [type, contract] of Object.entries(topology.events))
    if (contract.transport === "sqs" && !sqsConsumers.has(type))
      problems.push(`${type} travels on SQS but nobody consumes it`);

  for (const fn of topology.functions) {
    if (!/^[^.]+(\/[^./]+)*\.[A-Za-z_$][\w$]*$/.test(fn.handler))
      problems.push(`${fn.name} has no handler in the form "<file>.<export>" (got "${fn.handler}")`);
  }

  const seenFunctions = new Set<string>();
  for (const fn of topology.functions) {
    if (seenFunctions.has(fn.name)) problems.push(`two functions are named ${fn.name}`);
    seenFunctions.add(fn.name);
  }

  const basePaths = new Set<string>();
  for (const service of topology.services) {
    if (basePaths.has(service.basePath)) problems.push(`two services are mapped on ${service.basePath}`);
    basePaths.add(service.basePath);
  }

  const routes = new Map<string, string>();
  for (const route of topology.routes) {
    const key = `${route.method} ${routeShape(route.fullPath)}`;
    const other = routes.get(key);
    if (other) problems.push(`${route.method} ${route.fullPath} collides with ${other}`);
    else routes.set(key, `${route.method} ${route.fullPath}`);
    if (!functionNames.has(route.function)) problems.push(`${route.method} ${route.fullPath} has no handler`);
  }

  const tableOwners = new Map<string, string>();
  for (const table of topology.tables) {
    const owner = tableOwners.get(table.name);
    if (owner) problems.push(`table ${table.name} is owned by both ${owner} and ${table.service}`);
    tableOwners.set(table.name, table.service);
  }
  for (const fn of topology.functions) {
    for (const link of fn.links) {
      const owner = tableOwners.get(link);
      if (owner && owner !== fn.service) problems.push(`${fn.name} (${fn.service}) reaches ${owner}'s table ${link}`);
    }
  }
  return problems;
}

function isBucketFed(topology: Topology, type: string): boolean {
  return topology.services.some((s) => s.bucket?.notifies === type);
}
