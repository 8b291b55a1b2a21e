import { basename, join } from "node:path";
import { services } from "../services/index.js";
import { buildTopology, type FunctionNode, handlerFile } from "../shared/topology/index.js";
import { type Bundle, bundle } from "./bundle.js";

export interface FunctionBundle {
  readonly fn: FunctionNode;
  /** The handler's source file, relative to the project root (`services/users/routes/signup.ts`). */
  readonly file: string;
  readonly bundle: Bundle;
}

/**
 * The bundle of every function of one service, from its handler file in the topology, built as `bundle` builds
 * the representative handler. Functions that share a file (two exports of one module) share its bundle: Lambda
 * would load the same code for each.
 */
export async function serviceBundles(root: string, service: string): Promise<FunctionBundle[]> {
  const functions = buildTopology(services).functions.filter((f) => f.service === service);
  if (functions.length === 0) throw new Error(`the topology has no functions of ${service}`);
  const byFile = new Map<string, Promise<Bundle>>();
  for (const fn of functions) {
    const file = `${handlerFile(fn.handler)}.ts`;
    if (!byFile.has(file)) byFile.set(file, bundle(join(root, file), basename(file, ".ts"), fn.install ?? []));
  }
  return Promise.all(
    functions.map(async (fn) => {
      const file = `${handlerFile(fn.handler)}.ts`;
      return { fn, file, bundle: await byFile.get(file)! };
    }),
  );
}
