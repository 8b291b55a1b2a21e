import { notFound } from "../../../shared/http/problem.js";
import { routeHandler } from "../../../shared/http/routeHandler.js";
import { getUserRoute } from "../api.js";
import { getPublicProfile } from "../store.js";

/** `GET /users/{userId}`: the public profile, with the forum stats this service counted from forum events. */
export const handler = routeHandler(getUserRoute, {
  handler: async ({ path }) => {
    const { userId } = path;
    const found = await getPublicProfile(userId);
    if (!found) throw notFound(`user ${userId} does not exist`);
    return found;
  },
});
