/**
 * An error EventBridge reports to the caller as `{ "__type": type, "message": message }` with an HTTP status.
 *
 * @example
 * ```ts
 * throw new EventBridgeError("ResourceNotFoundException", "Rule orders does not exist on EventBus default.");
 * ```
 */
export class EventBridgeError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
    this.name = type;
  }
}
