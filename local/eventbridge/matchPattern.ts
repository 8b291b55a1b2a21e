/** Placeholder until the matcher lands. */
export function matchesPattern(_pattern: unknown, _event: unknown): boolean {
  return false;
}

export function validatePattern(_pattern: unknown): string | undefined {
  return undefined;
}
