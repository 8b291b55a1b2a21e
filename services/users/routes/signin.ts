import { routeHandler } from "../../../shared/http/routeHandler.js";
import { signinRoute } from "../api.js";
import { signIn } from "../identity.js";

/**
 * `POST /users/signin`. No idempotency records: a repeat is already harmless (it changes nothing), and tokens are
 * never written to a table.
 */
export const handler = routeHandler(signinRoute, {
  handler: ({ body }) => signIn(body.email, body.password),
});
