/** `media` → `Media`, `mediaProcessed` → `MediaProcessed`, `sign-up` → `SignUp`. */
export function pascal(word: string): string {
  return word
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((part) => part[0]!.toUpperCase() + part.slice(1))
    .join("");
}

/** The file part of a handler reference: `services/users/routes/signup.handler` → `services/users/routes/signup`. */
export function handlerFile(handler: string): string {
  return handler.slice(0, handler.lastIndexOf("."));
}

/** The export part of a handler reference. */
export function handlerExport(handler: string): string {
  return handler.slice(handler.lastIndexOf(".") + 1);
}
