/**
 * The one place handlers learn resource names. In the cloud, SST's `link` puts every linked resource in the
 * function's environment as `SST_RESOURCE_<Name>` (JSON); locally the runtime sets the very same variables, so
 * handler code is identical in both and never asks where it runs.
 */
export interface LinkedResource {
  readonly name?: string;
  readonly arn?: string;
  readonly url?: string;
  readonly [key: string]: unknown;
}

const cache = new Map<string, LinkedResource>();

export class MissingResourceError extends Error {
  constructor(readonly resource: string) {
    super(`resource "${resource}" is not linked to this function (SST_RESOURCE_${resource} is not set)`);
    this.name = "MissingResourceError";
  }
}

/** The linked resource `name`, read once from the environment and kept for the life of the sandbox. */
export function resource(name: string, env: NodeJS.ProcessEnv = process.env): LinkedResource {
  const cached = env === process.env ? cache.get(name) : undefined;
  if (cached) return cached;
  const raw = env[`SST_RESOURCE_${name}`];
  if (!raw) throw new MissingResourceError(name);
  const parsed = JSON.parse(raw) as LinkedResource;
  if (env === process.env) cache.set(name, parsed);
  return parsed;
}

/** Builds the environment entry that links `name`: what the stacks and the local runtime both write. */
export function linkEnv(name: string, value: LinkedResource): Record<string, string> {
  return { [`SST_RESOURCE_${name}`]: JSON.stringify(value) };
}

/** Forget cached resources (tests that change the environment between cases). */
export function resetResourceCache(): void {
  cache.clear();
}
