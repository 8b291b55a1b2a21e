import { tableOf } from "../../../shared/data/index.js";
import media from "../service.js";

/** The media table (its items: `keys.ts`). */
export const mediaTable = tableOf<object>("MediaTable", media.tables.MediaTable);
