import { CognitoIdentityProviderClient } from "@aws-sdk/client-cognito-identity-provider";
import { captureClient } from "../tracing/index.js";
import { lazyClient } from "./clients.js";

/** The sandbox's cognito client: default configuration, so `AWS_ENDPOINT_URL_*` decides where it goes. */
export const cognitoClient = (): CognitoIdentityProviderClient =>
  lazyClient("cognito", () => captureClient(new CognitoIdentityProviderClient({})));
