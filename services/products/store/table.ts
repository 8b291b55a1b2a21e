import { tableOf } from "../../../shared/data/index.js";
import products from "../service.js";

/**
 * The products table (its items and indexes: `keys.ts`). Items of several shapes share it (the key says which);
 * each read names the shape it expects.
 */
export const productsTable = tableOf<object>("ProductsTable", products.tables.ProductsTable);
