/** Synthesized stacks with a bug put in by hand, for the negative tests: a check must complain about each. */
import type { SynthResource } from "./synthTypes.js";

/** A copy of the resources with the inputs of every matching resource changed. */
export function breakResource(
  resources: readonly SynthResource[],
  match: (r: SynthResource) => boolean,
  change: (inputs: Record<string, unknown>) => void,
): SynthResource[] {
  let changed = 0;
  const copy = structuredClone(resources) as SynthResource[];
  for (const r of copy)
    if (match(r)) {
      change(r.inputs);
      changed++;
    }
  if (changed === 0) throw new Error("the breakage matched no resource");
  return copy;
}

/** A copy of the resources without the matching ones. */
export function without(resources: readonly SynthResource[], match: (r: SynthResource) => boolean): SynthResource[] {
  const kept = resources.filter((r) => !match(r));
  if (kept.length === resources.length) throw new Error("nothing removed");
  return kept;
}

/** A copy of the resources with one more IAM statement in the inline policy of the role named `role`. */
export function grant(resources: readonly SynthResource[], role: string, statement: unknown): SynthResource[] {
  return breakResource(
    resources,
    (r) => r.type === "aws:iam/role:Role" && r.name === role,
    (inputs) => {
      const policies = (inputs.inlinePolicies ?? []) as { name: string; policy: string }[];
      const first = policies[0] ?? { name: "inline", policy: JSON.stringify({ Version: "2012-10-17", Statement: [] }) };
      const doc = JSON.parse(first.policy) as { Statement: unknown[] };
      doc.Statement.push(statement);
      inputs.inlinePolicies = [{ ...first, policy: JSON.stringify(doc) }, ...policies.slice(1)];
    },
  );
}
