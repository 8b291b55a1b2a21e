import {
  CognitoIdentityProviderClient,
  CreateUserPoolClientCommand,
  CreateUserPoolCommand,
  ListUserPoolClientsCommand,
  ListUserPoolsCommand,
} from "@aws-sdk/client-cognito-identity-provider";
import type { LinkedResource } from "../../../shared/config.js";
import type { ResourceNode } from "../../../shared/topology/index.js";
import type { ProvisionTarget } from "../provision.js";
import type { ProvisionContext } from "./index.js";

/** The user pool and its `<pool>-web` app client on cognito-local, linked with both ids as the stacks link them. */
export function provisionUserPool(node: ResourceNode<"userPool">, context: ProvisionContext): Promise<LinkedResource> {
  return createUserPool(context.target, context.physical(node.name));
}

/** Finds or creates a pool and its app client by name (a persistent local state survives a restart). */
export async function createUserPool(target: ProvisionTarget, name: string): Promise<LinkedResource> {
  const cognito = new CognitoIdentityProviderClient({
    endpoint: target.endpoints.cognito,
    region: target.region,
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
  });
  try {
    const pools = await cognito.send(new ListUserPoolsCommand({ MaxResults: 60 }));
    let id = pools.UserPools?.find((p) => p.Name === name)?.Id;
    if (!id) {
      const created = await cognito.send(
        new CreateUserPoolCommand({
          PoolName: name,
          UsernameAttributes: ["email"],
          AutoVerifiedAttributes: ["email"],
          Policies: { PasswordPolicy: { MinimumLength: 8 } },
        }),
      );
      id = created.UserPool!.Id!;
    }
    const clients = await cognito.send(new ListUserPoolClientsCommand({ UserPoolId: id, MaxResults: 60 }));
    let clientId = clients.UserPoolClients?.find((c) => c.ClientName === `${name}-web`)?.ClientId;
    if (!clientId) {
      const created = await cognito.send(
        new CreateUserPoolClientCommand({
          UserPoolId: id,
          ClientName: `${name}-web`,
          ExplicitAuthFlows: ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
        }),
      );
      clientId = created.UserPoolClient!.ClientId!;
    }
    return { id, name, clientId };
  } finally {
    cognito.destroy();
  }
}
