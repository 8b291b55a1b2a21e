import { notFound } from "../../../shared/http/problem.js";
import { routeHandler } from "../../../shared/http/routeHandler.js";
import { getMeRoute } from "../api.js";
import { getProfile, toProfile } from "../store.js";

/** `GET /users/me`: the caller (the access token's `sub`, checked by the authorizer) and nobody else. */
export const handler = routeHandler(getMeRoute, {
  handler: async ({ auth }) => {
    const item = await getProfile(auth.userId);
    if (!item) throw notFound("there is no profile for this identity");
    return toProfile(item);
  },
});
