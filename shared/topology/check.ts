// The module itself, not the data layer's face: the topology stays free of SDK clients.
import { idempotencyTableProblems } from "../data/idempotencyTableProblems.js";
import { resourceNameFor } from "../events/resources.js";
import { leavesThroughOutbox } from "./outbox.js";
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
    if (!producers.has(sub.event) && !raisedByResource(topology, sub.event))
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
  problems.push(...resourceProblems(topology, tableOwners));
  problems.push(...ownerProblems(topology));
  for (const route of topology.routes) {
    const name = route.definition.idempotency?.table;
    if (!name) continue;
    const table = topology.tables.find((t) => t.name === name && t.service === route.service);
    if (!table) problems.push(`${route.method} ${route.fullPath} keeps idempotency records in ${name}, not its table`);
    else problems.push(...idempotencyTableProblems(name, table));
  }
  problems.push(...outboxProblems(topology));
  return problems;
}

/** An owner-only route needs a token (whose user is the owner or not) and names its resource by a path parameter. */
function ownerProblems(topology: Topology): TopologyProblem[] {
  const problems: TopologyProblem[] = [];
  for (const route of topology.routes) {
    const owner = route.definition.owner;
    if (!owner) continue;
    const name = `${route.method} ${route.fullPath}`;
    if (!route.auth) problems.push(`${name} is owner-only but takes no token`);
    if (!route.path.includes(`{${owner.path}}`))
      problems.push(`${name} is owner-only on {${owner.path}}, not in its path`);
  }
  return problems;
}

/** Every published event leaves through its service's outbox, and nothing else of the service reaches a transport. */
function outboxProblems(topology: Topology): TopologyProblem[] {
  const problems: TopologyProblem[] = [];
  for (const service of topology.services) {
    const viaOutbox = service.publishes.filter((type) => {
      const contract = topology.events[type];
      return contract !== undefined && leavesThroughOutbox(contract);
    });
    if (viaOutbox.length === 0) continue;
    const outbox = topology.outboxes.find((o) => o.service === service.name);
    if (!outbox) {
      problems.push(
        `${service.name} publishes ${service.publishes.join(", ")} but has no outbox table (mark one table \`outbox\`)`,
      );
      continue;
    }
    const table = topology.tables.find((t) => t.name === outbox.table);
    if (!table?.sortKey) problems.push(`${service.name}'s outbox table ${outbox.table} has no sort key`);
    if (!table?.ttl) problems.push(`${service.name}'s outbox table ${outbox.table} has no TTL attribute`);
    const transports = new Set(
      outbox.events.flatMap((type) => {
        const contract = topology.events[type];
        return contract ? [resourceNameFor(contract)] : [];
      }),
    );
    for (const fn of topology.functions) {
      if (fn.service !== service.name || fn.name === outbox.function) continue;
      // A consumer of the service's own stream links it to read it (its event source), not to publish on it.
      const reads = new Set(
        topology.subscriptions.flatMap((s) =>
          s.function === fn.name && s.trigger.kind === "kinesis" ? [s.trigger.stream] : [],
        ),
      );
      const around = fn.links.filter((link) => transports.has(link) && !reads.has(link));
      if (around.length > 0)
        problems.push(`${fn.name} links ${around.join(", ")}: ${service.name} publishes only through its outbox`);
    }
  }
  return problems;
}

/** Declared resources, whatever their kind: one name each (a link name), reached by their own service only. */
function resourceProblems(topology: Topology, tableOwners: ReadonlyMap<string, string>): TopologyProblem[] {
  const problems: TopologyProblem[] = [];
  const owners = new Map<string, string>();
  for (const resource of topology.resources) {
    const owner = owners.get(resource.name) ?? tableOwners.get(resource.name);
    if (owner) problems.push(`${resource.kind} ${resource.name} of ${resource.service} has the name of ${owner}'s`);
    owners.set(resource.name, resource.service);
  }
  for (const fn of topology.functions)
    for (const link of fn.links) {
      const owner = owners.get(link);
      if (owner && owner !== fn.service) problems.push(`${fn.name} (${fn.service}) reaches ${owner}'s ${link}`);
    }
  return problems;
}

/** A resource that raises the event itself (a bucket's notifications) is its producer. */
function raisedByResource(topology: Topology, type: string): boolean {
  return topology.resources.some((r) => r.raises.includes(type));
}
