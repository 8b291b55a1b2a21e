import { mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Metafile } from "esbuild";
import { type Bundle, bundle } from "./bundle.js";

/** An AWS SDK package a function loads at init, and the client class a floor builds from it. */
export interface SdkClient {
  /** `@aws-sdk/client-dynamodb`, `@aws-sdk/lib-dynamodb` */
  readonly pkg: string;
  /** `DynamoDBClient`, `DynamoDBDocumentClient` */
  readonly className: string;
}

const PACKAGE = /node_modules\/(@aws-sdk\/(?:client-[a-z0-9-]+|lib-dynamodb))\//;

/** The client class a service package exports: the one `dist-es/<Name>Client.js` module it has. */
function clientClassOf(root: string, pkg: string): string {
  if (pkg === "@aws-sdk/lib-dynamodb") return "DynamoDBDocumentClient";
  const file = readdirSync(join(root, "node_modules", pkg, "dist-es")).find((f) => /^[A-Za-z0-9]+Client\.js$/.test(f));
  if (!file) throw new Error(`${pkg} has no client module`);
  return file.slice(0, -".js".length);
}

/**
 * The AWS SDK clients in a bundle's init closure (the chunks a cold start loads before the first request), read
 * from its esbuild metafile: the packages whose modules it holds.
 */
export function initSdkClients(root: string, metafile: Metafile, initOutputs: readonly string[]): SdkClient[] {
  const packages = new Set<string>();
  for (const output of initOutputs)
    for (const input of Object.keys(metafile.outputs[output]?.inputs ?? {})) {
      const pkg = PACKAGE.exec(input)?.[1];
      if (pkg) packages.add(pkg);
    }
  return [...packages].sort().map((pkg) => ({ pkg, className: clientClassOf(root, pkg) }));
}

/**
 * The floor source of a function: a handler that builds the same SDK clients and nothing else, so a function's
 * bundle is compared with the least it could be while doing the same calls.
 */
export function floorSource(clients: readonly SdkClient[]): string {
  const base = clients.filter((c) => c.pkg !== "@aws-sdk/lib-dynamodb");
  const documents = clients.some((c) => c.pkg === "@aws-sdk/lib-dynamodb");
  const lines = base.map((c) => `import { ${c.className} } from "${c.pkg}";`);
  if (documents) lines.push(`import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";`);
  const built = base.map((c) =>
    documents && c.className === "DynamoDBClient"
      ? `DynamoDBDocumentClient.from(new DynamoDBClient({}))`
      : `new ${c.className}({})`,
  );
  lines.push(`const clients = [${built.join(", ")}];`);
  lines.push(`export const handler = async () => ({ statusCode: 200, body: String(clients.length) });`);
  return `${lines.join("\n")}\n`;
}

export interface Floor {
  readonly clients: readonly SdkClient[];
  readonly bundle: Bundle;
}

/**
 * Builds the floor of every distinct set of SDK clients once (functions that use the same clients share a floor),
 * with the same esbuild settings as the functions themselves.
 *
 * @example
 * ```ts
 * const floors = await floorsFor(root, functions.map((f) => f.bundle));
 * floors.get(functions[0].bundle)?.bundle.entryBytes;
 * ```
 */
export async function floorsFor(root: string, bundles: readonly Bundle[]): Promise<Map<Bundle, Floor>> {
  const dir = join(root, "node_modules", ".cache", "summit-floors");
  mkdirSync(dir, { recursive: true });
  const byKey = new Map<string, Promise<Floor>>();
  const result = new Map<Bundle, Floor>();
  await Promise.all(
    bundles.map(async (b) => {
      const clients = initSdkClients(root, b.metafile, b.entryOutputs);
      const key = clients.map((c) => c.pkg).join("+") || "none";
      if (!byKey.has(key)) {
        const file = join(dir, `floor-${key.replaceAll(/[^a-z0-9+]/g, "_")}.ts`);
        writeFileSync(file, floorSource(clients));
        byKey.set(
          key,
          bundle(file, `floor-${byKey.size}`).then((built) => ({ clients, bundle: built })),
        );
      }
      result.set(b, await byKey.get(key)!);
    }),
  );
  return result;
}
