import { escapeHtml as e } from "./html.js";

export type JsonSchema = Record<string, unknown>;

/** Facts a reader checks first, in the order they read them. */
const CONSTRAINTS: readonly [string, string][] = [
  ["const", "="],
  ["format", "format"],
  ["minLength", "min length"],
  ["maxLength", "max length"],
  ["minimum", "≥"],
  ["exclusiveMinimum", ">"],
  ["maximum", "≤"],
  ["exclusiveMaximum", "<"],
  ["minItems", "min items"],
  ["maxItems", "max items"],
  ["pattern", "pattern"],
];

const isSchema = (value: unknown): value is JsonSchema =>
  typeof value === "object" && value !== null && !Array.isArray(value);

function typeLabel(schema: JsonSchema): string {
  if (Array.isArray(schema.enum)) return schema.enum.map((v) => JSON.stringify(v)).join(" | ");
  const variants = schema.anyOf ?? schema.oneOf;
  if (Array.isArray(variants)) return variants.filter(isSchema).map(typeLabel).join(" | ");
  if (schema.type === "array" && isSchema(schema.items)) return `${typeLabel(schema.items)}[]`;
  if (Array.isArray(schema.type)) return schema.type.join(" | ");
  if (typeof schema.$ref === "string") return schema.$ref.split("/").pop() ?? "ref";
  if (typeof schema.type === "string") return schema.type;
  return "const" in schema ? typeof schema.const : "any";
}

function constraintsOf(schema: JsonSchema): string {
  return CONSTRAINTS.filter(([key]) => schema[key] !== undefined)
    .map(([key, label]) => {
      const value = key === "const" ? JSON.stringify(schema[key]) : String(schema[key]);
      return `<span class="c">${e(label)} <code>${e(value)}</code></span>`;
    })
    .join("");
}

/**
 * A JSON Schema as a readable property table: type, required mark, rules and description per field; nested objects
 * and arrays of objects nest inside it.
 *
 * @example
 * ```ts
 * schemaHtml({ type: "object", properties: { id: { type: "string" } }, required: ["id"] });
 * ```
 */
export function schemaHtml(schema: JsonSchema, depth = 0): string {
  const target = schema.type === "array" && isSchema(schema.items) ? schema.items : schema;
  const properties = isSchema(target.properties) ? target.properties : undefined;
  if (!properties || depth > 6) {
    return `<div class="scalar"><code class="t">${e(typeLabel(schema))}</code>${constraintsOf(schema)}</div>`;
  }
  const required = new Set(Array.isArray(target.required) ? target.required : []);
  const rows = Object.entries(properties)
    .filter((entry): entry is [string, JsonSchema] => isSchema(entry[1]))
    .map(([name, property]) => {
      const nested = typeLabel(property).startsWith("object") ? schemaHtml(property, depth + 1) : "";
      const description = typeof property.description === "string" ? `<div>${e(property.description)}</div>` : "";
      return `<tr><td><code>${e(name)}</code>${required.has(name) ? '<span class="req" title="required">*</span>' : ""}</td>
<td><code class="t">${e(typeLabel(property))}</code></td><td>${constraintsOf(property)}${description}${nested}</td></tr>`;
    })
    .join("");
  const label = schema === target ? "" : `<div class="scalar"><code class="t">array of</code></div>`;
  return `${label}<table class="schema"><thead><tr><th>field</th><th>type</th><th>rules</th></tr></thead><tbody>${rows}</tbody></table>`;
}

/** The look of {@link schemaHtml}'s tables. */
export const SCHEMA_STYLE = `
table.schema{border-collapse:collapse;width:100%;font-size:13px;margin:4px 0}table.schema th{text-align:left;color:var(--muted);font-weight:500;border-bottom:1px solid var(--line);padding:4px 8px}
table.schema td{border-bottom:1px solid #f0f1f3;padding:5px 8px;vertical-align:top}table.schema table.schema{margin-top:6px;background:#f8f9fa}
.t{color:#8a3ffc}.req{color:#d91515;margin-left:2px}.c{display:inline-block;margin-right:10px;color:var(--muted);font-size:12px}
`;
