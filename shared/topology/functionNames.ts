import type { HandlerRef } from "./defineService.js";
import { handlerExport, handlerFile, pascal } from "./names.js";

/**
 * The function name of each distinct route handler of a service: one function per handler reference (file and
 * export), so routes that name the same reference share a function and different references never do.
 *
 * A reference is named `<Service><file basename>` (`UsersSignup`) while that is unambiguous in the service. Names that
 * would collide (with each other, or with a name in `taken`: the service's consumers and publisher) grow until they
 * differ: references in different files take their parent folders, one at a time (`ForumsThreadsList`,
 * `ForumsPostsList`); references in one file take their export (`ForumsListThreads`, `ForumsListPosts`). So adding a
 * route can rename only the functions it collides with, never the others. Should two references still end with one
 * name (`a_b.ts` and `a-b.ts` spell the same), both keep it and `checkTopology` reports "two functions are named X".
 *
 * @example
 * ```ts
 * routeFunctionNames("forums", ["services/forums/routes/threads/list.handler", "services/forums/routes/posts/list.handler"]);
 * // Map { "…/threads/list.handler" → "ForumsThreadsList", "…/posts/list.handler" → "ForumsPostsList" }
 * ```
 */
export function routeFunctionNames(
  service: string,
  handlers: readonly HandlerRef[],
  taken: readonly string[] = [],
): Map<HandlerRef, string> {
  const prefix = pascal(service);
  const refs = [...new Set(handlers)].map((handler) => {
    const folders = handlerFile(handler).split("/");
    return { handler, file: handlerFile(handler), folders, depth: 1, withExport: false };
  });
  const nameOf = (ref: (typeof refs)[number]) =>
    prefix +
    pascal(ref.folders.slice(-ref.depth).join("-")) +
    (ref.withExport ? pascal(handlerExport(ref.handler)) : "");

  // Each round lengthens the names of the references in a collision; a round that changes nothing ends it.
  for (let grown = true; grown; ) {
    grown = false;
    const byName = new Map<string, typeof refs>();
    for (const ref of refs) byName.set(nameOf(ref), [...(byName.get(nameOf(ref)) ?? []), ref]);
    for (const [name, group] of byName) {
      if (group.length < 2 && !taken.includes(name)) continue;
      for (const ref of group) {
        const otherFile = taken.includes(name) || group.some((other) => other.file !== ref.file);
        const sameFile = group.some((other) => other !== ref && other.file === ref.file);
        if (otherFile && ref.depth < ref.folders.length) ref.depth += 1;
        else if ((otherFile || sameFile) && !ref.withExport) ref.withExport = true;
        else continue;
        if (sameFile) ref.withExport = true;
        grown = true;
      }
    }
  }
  return new Map(refs.map((ref) => [ref.handler, nameOf(ref)]));
}
