export * from "./catalog.js";
export * from "./forums.js";
export * from "./media.js";
export * from "./products.js";
export * from "./users.js";
