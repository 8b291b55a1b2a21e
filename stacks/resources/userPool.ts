import type { ResourceNode } from "../../shared/topology/index.js";
import type { BuiltResource } from "./index.js";

/**
 * A Cognito user pool: email as the username, and one app client for the service's own sign-in and refresh routes
 * (no secret: USER_PASSWORD_AUTH with a secret needs a SECRET_HASH). Linked with the client's id, which handlers pass
 * to InitiateAuth and SST's user-pool link leaves out; it authorizes the APIs' `auth` routes.
 */
export function buildUserPool(node: ResourceNode<"userPool">): BuiltResource {
  const pool = new sst.aws.CognitoUserPool(node.name, {
    usernames: ["email"],
    transform: {
      userPool: (args, opts) => {
        // The contract asks for 8 characters and nothing else; Cognito's default also demands every character class.
        args.passwordPolicy = {
          minimumLength: 8,
          requireLowercase: false,
          requireUppercase: false,
          requireNumbers: false,
          requireSymbols: false,
        };
        // Sign-up confirms the account at once (AdminConfirmSignUp) and the contract has no email verification, but
        // SST auto-verifies the username attribute: every SignUp would email a code nobody uses, through Cognito's
        // default sender, whose small daily quota then fails SignUp with LimitExceededException (a 429 to the client).
        args.autoVerifiedAttributes = [];
        // The pool holds every identity and password, which nothing can restore: production keeps it as it keeps
        // its tables. SST's `removal: "retain"` retains tables and buckets but not user pools, and a change that
        // replaces the pool (its username attributes, say) would otherwise delete every account.
        const production = $app.stage === "production";
        args.deletionProtection = production ? "ACTIVE" : "INACTIVE";
        if (production) opts.retainOnDelete = true;
      },
    },
  });
  const client = pool.addClient(`${node.name}Client`, {
    transform: {
      client: (args) => {
        args.explicitAuthFlows = ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"];
        args.generateSecret = false;
        // No hosted UI: tokens come from InitiateAuth only, so the OAuth settings SST defaults to are dropped.
        args.allowedOauthFlowsUserPoolClient = false;
        args.allowedOauthFlows = [];
        args.allowedOauthScopes = [];
        args.callbackUrls = [];
        args.supportedIdentityProviders = ["COGNITO"];
        args.preventUserExistenceErrors = "ENABLED";
      },
    },
  });
  return {
    kind: node.kind,
    components: { pool, client },
    link: { target: pool, extras: { clientId: client.id } },
    authorizerPoolArn: pool.arn,
  };
}
