import { routeHandler } from "../../../shared/http/routeHandler.js";
import { listForumsRoute } from "../api.js";
import { listForums } from "../store/forums.js";

/** `GET /forums`: newest first, merged over the list's shards; a cursor of another query, or a changed one, is a 400. */
export const handler = routeHandler(listForumsRoute, {
  handler: ({ query }) => listForums(query),
});
