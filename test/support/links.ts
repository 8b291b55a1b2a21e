import { afterAll } from "vitest";
import { type LinkedResource, linkEnv, resetResourceCache } from "../../shared/config.js";

/**
 * Links resources to the code under test as the runtime links them to a function (`SST_RESOURCE_<name>`), and
 * unlinks them after the file's tests. Call it at the top of a test file; call the function it returns once the
 * resources exist.
 *
 * @example
 * ```ts
 * const link = useLinks();
 * beforeAll(async () => link({ UsersTable: { name: table } }));
 * ```
 */
export function useLinks(): (resources: Readonly<Record<string, LinkedResource>>) => void {
  const linked: string[] = [];
  afterAll(() => {
    for (const name of linked) delete process.env[name];
    resetResourceCache();
  });
  return (resources) => {
    for (const [name, resource] of Object.entries(resources)) {
      const env = linkEnv(name, resource);
      Object.assign(process.env, env);
      linked.push(...Object.keys(env));
    }
    resetResourceCache();
  };
}
