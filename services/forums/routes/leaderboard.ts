import { routeHandler } from "../../../shared/http/routeHandler.js";
import { leaderboardRoute } from "../api.js";
import { leaderboard } from "../store/leaderboard.js";

/** `GET /forums/leaderboard`: the authors with the most posts, most first (`?limit`, 1 to 50, default 20). */
export const handler = routeHandler(leaderboardRoute, {
  handler: async ({ query }) => ({ items: await leaderboard(query.limit) }),
});
