import type { SynthCall, SynthResource } from "./synthTypes.js";

/** The account and region every mocked resource lives in. */
export const ACCOUNT = "123456789012";
export const REGION = "us-east-1";

/** What Pulumi passes the mocks (`pulumi.runtime.MockResourceArgs` / `MockCallArgs`, the fields used here). */
export interface MockResourceArgs {
  type: string;
  name: string;
  inputs: Record<string, unknown>;
  custom?: boolean;
  id?: string;
}
export interface MockCallArgs {
  token: string;
  inputs: Record<string, unknown>;
}
export interface Mocks {
  newResource(args: MockResourceArgs): { id: string | undefined; state: Record<string, unknown> };
  call(args: MockCallArgs): Record<string, unknown>;
}

const str = (value: unknown, fallback: string): string => (typeof value === "string" && value ? value : fallback);

/** Outputs a real provider would return, shaped so SST's ARN parsing and URL building work on them. */
function stateFor(args: MockResourceArgs): { id: string; state: Record<string, unknown> } {
  const { type, inputs } = args;
  const name = str(inputs.name, args.name);
  const arn = (service: string, resource: string) => `arn:aws:${service}:${REGION}:${ACCOUNT}:${resource}`;
  switch (type) {
    case "aws:lambda/function:Function": {
      const fnArn = arn("lambda", `function:${name}`);
      return {
        id: name,
        state: {
          name,
          arn: fnArn,
          qualifiedArn: `${fnArn}:$LATEST`,
          version: "$LATEST",
          invokeArn: `arn:aws:apigateway:${REGION}:lambda:path/2015-03-31/functions/${fnArn}/invocations`,
        },
      };
    }
    case "aws:sqs/queue:Queue":
      return {
        id: `https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/${name}`,
        state: { name, arn: arn("sqs", name), url: `https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/${name}` },
      };
    case "aws:sns/topic:Topic":
      return { id: arn("sns", name), state: { name, arn: arn("sns", name) } };
    case "aws:kinesis/stream:Stream":
      return { id: arn("kinesis", `stream/${name}`), state: { name, arn: arn("kinesis", `stream/${name}`) } };
    case "aws:dynamodb/table:Table": {
      // A table read by name (`Dynamo.get`) is a global table's replica: it exists, and streams both images.
      const table = args.id || name;
      const read = args.id ? { streamEnabled: true, streamViewType: "NEW_AND_OLD_IMAGES" } : {};
      return {
        id: table,
        state: {
          name: table,
          arn: arn("dynamodb", `table/${table}`),
          streamArn: arn("dynamodb", `table/${table}/stream/x`),
          ...read,
        },
      };
    }
    case "aws:cloudwatch/eventBus:EventBus":
      return { id: name, state: { name, arn: arn("events", `event-bus/${name}`) } };
    case "aws:cloudwatch/eventRule:EventRule":
      return { id: name, state: { name, arn: arn("events", `rule/${name}`) } };
    case "aws:cognito/userPool:UserPool":
      return {
        id: `${REGION}_${args.name}`,
        state: {
          arn: arn("cognito-idp", `userpool/${REGION}_${args.name}`),
          endpoint: `cognito-idp.${REGION}.amazonaws.com/${REGION}_${args.name}`,
        },
      };
    case "aws:cognito/userPoolClient:UserPoolClient":
      return { id: `client-${args.name}`, state: {} };
    case "aws:s3/bucketV2:BucketV2":
    case "aws:s3/bucket:Bucket": {
      const bucket = str(inputs.bucket, args.name.toLowerCase());
      return {
        id: bucket,
        state: {
          bucket,
          arn: `arn:aws:s3:::${bucket}`,
          bucketDomainName: `${bucket}.s3.amazonaws.com`,
          bucketRegionalDomainName: `${bucket}.s3.${REGION}.amazonaws.com`,
        },
      };
    }
    case "aws:apigateway/restApi:RestApi":
      return {
        id: `${args.name}-id`,
        state: { name, rootResourceId: `${args.name}-root`, executionArn: arn("execute-api", `${args.name}-id`) },
      };
    case "aws:apigateway/domainName:DomainName": {
      // A REST API custom domain's id is the domain name itself.
      const domain = str(inputs.domainName, args.id || args.name);
      return {
        id: domain,
        state: {
          domainName: domain,
          regionalDomainName: `d-mock.execute-api.${REGION}.amazonaws.com`,
          regionalZoneId: "ZMOCKREGIONAL",
          cloudfrontDomainName: "dmock.cloudfront.net",
          cloudfrontZoneId: "Z2FDTNDATAQYW2",
        },
      };
    }
    case "aws:cloudfront/distribution:Distribution":
      return {
        id: `E${args.name.toUpperCase().slice(0, 12)}`,
        state: {
          domainName: "dmock.cloudfront.net",
          hostedZoneId: "Z2FDTNDATAQYW2",
          arn: `arn:aws:cloudfront::${ACCOUNT}:distribution/x`,
        },
      };
    case "aws:acm/certificate:Certificate": {
      const domain = str(inputs.domainName, "example.com");
      return {
        id: arn("acm", `certificate/${args.name}`),
        state: {
          arn: arn("acm", `certificate/${args.name}`),
          domainValidationOptions: [
            {
              domainName: domain,
              resourceRecordName: `_x.${domain}.`,
              resourceRecordType: "CNAME",
              resourceRecordValue: "_x.acm-validations.aws.",
            },
          ],
        },
      };
    }
    case "aws:iam/role:Role":
      return { id: name, state: { name, arn: `arn:aws:iam::${ACCOUNT}:role/${name}` } };
    default:
      return { id: args.id || `${args.name}-id`, state: { arn: arn("mock", `${type}/${args.name}`) } };
  }
}

interface PolicyStatementInput {
  sid?: string;
  effect?: string;
  actions?: string[];
  resources?: string[];
  principals?: { type: string; identifiers: string[] }[];
  conditions?: { test: string; variable: string; values: string[] }[];
}

/** `aws.iam.getPolicyDocument`, rendered as the provider renders it: SST's roles and queue policies use its `json`. */
function policyDocument(inputs: Record<string, unknown>): Record<string, unknown> {
  const statements = (inputs.statements ?? []) as PolicyStatementInput[];
  const Statement = statements.map((s) => ({
    ...(s.sid ? { Sid: s.sid } : {}),
    Effect: s.effect ?? "Allow",
    ...(s.actions ? { Action: s.actions } : {}),
    ...(s.resources ? { Resource: s.resources } : {}),
    ...(s.principals
      ? { Principal: Object.fromEntries(s.principals.map((p) => [p.type === "AWS" ? "AWS" : p.type, p.identifiers])) }
      : {}),
    ...(s.conditions
      ? {
          Condition: Object.fromEntries(s.conditions.map((c) => [c.test, { [c.variable]: c.values }])),
        }
      : {}),
  }));
  const json = JSON.stringify({ Version: "2012-10-17", Statement });
  return { id: "policy", json, minifiedJson: json, statements };
}

/**
 * The answers a real AWS provider would give, and a record of everything asked. The mocks give every resource
 * realistic ARNs and URLs so SST's own parsing (queue URLs from ARNs, invoke ARNs from function ARNs) works.
 */
export function createMocks(resources: SynthResource[], calls: SynthCall[], unknownCalls: Set<string>): Mocks {
  return {
    newResource(args) {
      const { id, state } = stateFor(args);
      // A new resource arrives with an empty id; only reads (`X.get`) carry one.
      const physicalId = args.id || id;
      resources.push({
        type: args.type,
        name: args.name,
        inputs: args.inputs,
        custom: args.custom ?? true,
        ...(args.id ? { id: args.id } : {}),
        physicalId,
        ...(typeof state.arn === "string" ? { arn: state.arn } : {}),
      });
      return { id: physicalId, state: { ...args.inputs, ...state } };
    },
    call(args) {
      calls.push({ token: args.token, inputs: args.inputs });
      switch (args.token) {
        case "aws:index/getRegion:getRegion":
          return { id: REGION, name: REGION, region: REGION, description: "US East (N. Virginia)" };
        case "aws:index/getCallerIdentity:getCallerIdentity":
          return { id: ACCOUNT, accountId: ACCOUNT, arn: `arn:aws:iam::${ACCOUNT}:user/synth`, userId: "AIDASYNTH" };
        case "aws:index/getPartition:getPartition":
          return { id: "aws", partition: "aws", dnsSuffix: "amazonaws.com", reverseDnsPrefix: "com.amazonaws" };
        case "aws:route53/getZone:getZone":
          return { id: "Z0SUMMIT", zoneId: "Z0SUMMIT", name: str(args.inputs.name, "example.com") };
        case "aws:iam/getPolicyDocument:getPolicyDocument":
          return policyDocument(args.inputs);
        default:
          unknownCalls.add(args.token);
          return args.inputs;
      }
    },
  };
}
