import { routeHandler } from "../../../shared/http/routeHandler.js";
import { signupRoute } from "../api.js";
import { register } from "../registration.js";

/** `POST /users/signup`: a Cognito identity and a profile, or neither (see `registration.ts`). */
export const handler = routeHandler(signupRoute, {
  handler: ({ body }) => register(body),
});
