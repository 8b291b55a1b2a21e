import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { freePort, LOOPBACK, waitForHttp } from "./ports.js";
import { startSupervised } from "./supervisedProcess.js";

/**
 * cognito-local as a supervised child process. It keeps its state in `./.cognito` of its working directory, so it
 * runs in `<dataDir>/cognito` (persistent) or in a temporary directory removed on stop (clean), never in the project.
 *
 * Known differences from Amazon Cognito (not corrected here; the users service handles them):
 * - a wrong password gives `InvalidPasswordException` (AWS: `NotAuthorizedException`);
 * - the `AuthenticationResult` has no `ExpiresIn` and no `TokenType`;
 * - the tokens' issuer comes from the request's host (`http://127.0.0.1:<port>/<poolId>`), not
 *   `https://cognito-idp.<region>.amazonaws.com/<poolId>`; the JWKS is at `/<poolId>/.well-known/jwks.json`;
 * - it pulls in the v2 AWS SDK (hence a separate process: it stays out of our memory and start-up).
 */
export interface CognitoEmulator {
  readonly endpoint: string;
  readonly port: number;
  readonly pid: number;
  stop(): Promise<void>;
}

function startScript(): string {
  const packageDir = dirname(createRequire(import.meta.url).resolve("cognito-local/package.json"));
  return join(packageDir, "lib", "bin", "start.js");
}

/**
 * @example
 * ```ts
 * const cognito = await startCognito({ stateDir: ".summit/data/cognito" });
 * new CognitoIdentityProviderClient({ endpoint: cognito.endpoint });
 * ```
 */
export async function startCognito(
  options: { stateDir?: string; log?: (line: string) => void } = {},
): Promise<CognitoEmulator> {
  const cwd = options.stateDir ?? mkdtempSync(join(tmpdir(), "summit-cognito-"));
  mkdirSync(cwd, { recursive: true });
  const cleanUp = () => {
    if (!options.stateDir) rmSync(cwd, { recursive: true, force: true });
  };
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const child = await startSupervised({
      name: "cognito",
      command: process.execPath,
      args: [startScript()],
      cwd,
      env: {
        ...process.env,
        PORT: String(port),
        HOST: LOOPBACK,
        NODE_OPTIONS: "",
        NO_COLOR: "1",
        AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE: "1",
      },
      ...(options.log ? { log: options.log } : {}),
    });
    const endpoint = `http://${LOOPBACK}:${port}`;
    try {
      await waitForHttp(endpoint, { timeoutMs: 30_000, method: "POST", alive: () => child.isAlive() });
      return {
        endpoint,
        port,
        pid: child.pid,
        async stop() {
          await child.stop();
          cleanUp();
        },
      };
    } catch (error) {
      lastError = error;
      await child.stop();
    }
  }
  cleanUp();
  throw new Error(`cognito-local did not start: ${String(lastError)}`);
}
