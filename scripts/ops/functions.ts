import { InvokeCommand, type LambdaClient, ListFunctionsCommand } from "@aws-sdk/client-lambda";

/**
 * The deployed name of a topology function: the local runtime names it as the topology does (`ForumsPostCreated`);
 * SST names it `<app>-<stage>-<Name>Function-<suffix>`. Read with ListFunctions, so the same call finds it in both.
 * `prefix` (`summit-alice`) narrows the search to one stage of one app when several share the account.
 */
export async function deployedName(lambda: LambdaClient, fn: string, prefix?: string): Promise<string> {
  const found: string[] = [];
  let marker: string | undefined;
  do {
    const out = await lambda.send(new ListFunctionsCommand(marker ? { Marker: marker } : {}));
    for (const f of out.Functions ?? []) {
      const name = f.FunctionName ?? "";
      if (name === fn) return name;
      if (name.includes(`-${fn}Function-`) && (!prefix || name.startsWith(`${prefix}-`))) found.push(name);
    }
    marker = out.NextMarker;
  } while (marker);
  if (found.length === 1) return found[0]!;
  if (found.length === 0) throw new Error(`no function ${fn} in this account and region`);
  throw new Error(`${fn} is deployed in several stages (${found.join(", ")}): name the stage (SST_STAGE)`);
}

export type InvokeResult =
  | { readonly ok: true; readonly value: unknown }
  | { readonly ok: false; readonly error: { readonly errorType: string; readonly errorMessage: string } };

/** A synchronous invoke (RequestResponse) with the function's answer decoded; a function error is `ok: false`. */
export async function invokeFunction(lambda: LambdaClient, name: string, event: unknown): Promise<InvokeResult> {
  const out = await lambda.send(
    new InvokeCommand({
      FunctionName: name,
      InvocationType: "RequestResponse",
      Payload: new TextEncoder().encode(JSON.stringify(event)),
    }),
  );
  const text = out.Payload ? new TextDecoder().decode(out.Payload) : "null";
  const value: unknown = text === "" ? null : JSON.parse(text);
  if (!out.FunctionError) return { ok: true, value };
  const error = (value ?? {}) as { errorType?: string; errorMessage?: string };
  return {
    ok: false,
    error: { errorType: error.errorType ?? out.FunctionError, errorMessage: error.errorMessage ?? "function error" },
  };
}
