import { PostCreated, ThreadCreated } from "../../events/forums.js";
import { MediaProcessed } from "../../events/media.js";
import { UserProfileUpdated, UserRegistered } from "../../events/users.js";
import { defineService } from "../../shared/topology/defineService.js";
import { userPool } from "../../shared/topology/index.js";
import { usersRoutes } from "./api.js";
import { usersMetrics } from "./metrics.js";

/**
 * Identities (the Cognito user pool) and profiles (the users table). Keeps its own copy of what it needs from other
 * services: media items that can become avatars, and forum activity counted into each user's stats.
 */
export default defineService({
  name: "users",
  basePath: "/users",
  metrics: usersMetrics,
  tables: { UsersTable: { partitionKey: "pk", sortKey: "sk", ttl: "expiresAt" } },
  resources: { UsersUserPool: userPool() },
  routes: usersRoutes,
  publishes: [UserRegistered, UserProfileUpdated],
  consumers: [
    {
      name: "mediaProcessed",
      events: [MediaProcessed],
      handler: "services/users/consumers/media.handler",
      links: ["UsersTable"],
    },
    {
      name: "threadCreated",
      events: [ThreadCreated],
      handler: "services/users/consumers/forumStats.threadHandler",
      links: ["UsersTable"],
    },
    {
      name: "postCreated",
      events: [PostCreated],
      handler: "services/users/consumers/forumStats.postHandler",
      batchSize: 100,
      links: ["UsersTable"],
    },
  ],
});
