import { ForumCreated, PostCreated, ThreadCreated } from "./forums.js";
import { MediaProcessed, UploadReceived } from "./media.js";
import { ProductCreated, ProductDeleted, ProductUpdated, ProductViewed } from "./products.js";
import { UserProfileUpdated, UserRegistered } from "./users.js";

/** Every event the system knows, by its type name. The topology, the docs and the schema registry read this. */
export const catalog = {
  [UserRegistered.type]: UserRegistered,
  [UserProfileUpdated.type]: UserProfileUpdated,
  [ProductCreated.type]: ProductCreated,
  [ProductUpdated.type]: ProductUpdated,
  [ProductDeleted.type]: ProductDeleted,
  [ProductViewed.type]: ProductViewed,
  [ForumCreated.type]: ForumCreated,
  [ThreadCreated.type]: ThreadCreated,
  [PostCreated.type]: PostCreated,
  [UploadReceived.type]: UploadReceived,
  [MediaProcessed.type]: MediaProcessed,
} as const;

export type EventType = keyof typeof catalog;
export type CatalogEvent = (typeof catalog)[EventType];
