import { routeHandler } from "../../../shared/http/routeHandler.js";
import { refreshRoute } from "../api.js";
import { refresh } from "../identity.js";

/** `POST /users/refresh`: new access and ID tokens; like sign-in, no token is ever written to a table. */
export const handler = routeHandler(refreshRoute, {
  handler: ({ body }) => refresh(body.refreshToken),
});
