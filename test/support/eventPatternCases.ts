import type { EventPattern } from "../../local/eventbridge/matchPattern.js";

/** One documented pattern with an event it should, or should not, match. */
export interface PatternCase {
  /** The EventBridge user guide page and section the pattern comes from. */
  source: string;
  name: string;
  pattern: EventPattern;
  event: Record<string, unknown>;
  matches: boolean;
}

/** The sample event of "Creating event patterns"; every case builds on its envelope so TestEventPattern accepts it. */
export const sampleEc2Event = {
  version: "0",
  id: "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
  "detail-type": "EC2 Instance State-change Notification",
  source: "aws.ec2",
  account: "111122223333",
  time: "2017-12-22T18:43:48Z",
  region: "us-west-1",
  resources: ["arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0"],
  detail: { "instance-id": "i-1234567890abcdef0", state: "terminated" },
};

/** The sample event with its detail replaced and top-level fields overridden. */
export function eventWith(detail: Record<string, unknown>, topLevel: Record<string, unknown> = {}) {
  return { ...sampleEc2Event, ...topLevel, detail };
}

const CREATING = "Creating event patterns";
const ARRAYS = "Matching on multiple field values (arrays)";
const NULLS = "Matching on null values and empty strings";
const OPERATORS = "Comparison operators table";
const PREFIX = "Comparison operators: Prefix matching";
const SUFFIX = "Comparison operators: Suffix matching";
const ANYTHING_BUT = "Comparison operators: Anything-but matching";
const NUMERIC = "Comparison operators: Numeric matching";
const CIDR = "Comparison operators: IP address matching";
const EXISTS = "Comparison operators: Exists matching";
const IGNORE_CASE = "Comparison operators: Equals-ignore-case matching";
const WILDCARD = "Comparison operators: Wildcard matching";
const OR = "Comparison operators: $or matching";
const COMPLEX = "Comparison operators: Complex example with multiple matching";
const FIELD_VALUES = "Matching events on event field values";

const ec2Termination: EventPattern = {
  source: ["aws.ec2"],
  "detail-type": ["EC2 Instance State-change Notification"],
  detail: { state: ["terminated"] },
};
const numericExample: EventPattern = {
  detail: {
    "c-count": [{ numeric: [">", 0, "<=", 5] }],
    "d-count": [{ numeric: ["<", 10] }],
    "x-limit": [{ numeric: ["=", 3.018e2] }],
  },
};
const orExample: EventPattern = {
  detail: {
    $or: [
      { "c-count": [{ numeric: [">", 0, "<=", 5] }] },
      { "d-count": [{ numeric: ["<", 10] }] },
      { "x-limit": [{ numeric: ["=", 3.018e2] }] },
    ],
  },
};
const complexExample: EventPattern = {
  time: [{ prefix: "2017-10-02" }],
  detail: {
    state: [{ "anything-but": "initializing" }],
    "c-count": [{ numeric: [">", 0, "<=", 5] }],
    "d-count": [{ numeric: ["<", 10] }],
    "x-limit": [{ "anything-but": [100, 200, 300] }],
  },
};
const arrayResources: EventPattern = {
  resources: [
    "arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f",
    "arn:aws:ec2:us-east-1:111122223333:instance/i-b188560f",
    "arn:aws:ec2:us-east-1:444455556666:instance/i-b188560f",
  ],
};
const nullEventDetail = { eventVersion: "", responseElements: null };

export const patternCases: PatternCase[] = [
  // Creating event patterns: the EC2 sample event.
  {
    source: CREATING,
    name: "instance-termination pattern matches the sample event",
    pattern: ec2Termination,
    event: sampleEc2Event,
    matches: true,
  },
  {
    source: CREATING,
    name: "instance-termination pattern ignores a running instance",
    pattern: ec2Termination,
    event: eventWith({ "instance-id": "i-1", state: "running" }),
    matches: false,
  },
  {
    source: CREATING,
    name: "source list matches aws.fargate",
    pattern: { source: ["aws.ec2", "aws.fargate"] },
    event: { ...sampleEc2Event, source: "aws.fargate" },
    matches: true,
  },
  {
    source: CREATING,
    name: "source list does not match aws.s3",
    pattern: { source: ["aws.ec2", "aws.fargate"] },
    event: { ...sampleEc2Event, source: "aws.s3" },
    matches: false,
  },
  {
    source: CREATING,
    name: "strings match case-sensitively",
    pattern: { source: ["AWS.EC2"] },
    event: sampleEc2Event,
    matches: false,
  },
  {
    source: CREATING,
    name: "every pattern field must be in the event",
    pattern: { detail: { state: ["terminated"], reason: ["x"] } },
    event: sampleEc2Event,
    matches: false,
  },
  {
    source: CREATING,
    name: "same nesting is required",
    pattern: { state: ["terminated"] },
    event: sampleEc2Event,
    matches: false,
  },
  {
    source: CREATING,
    name: "top-level account",
    pattern: { account: ["111122223333"] },
    event: sampleEc2Event,
    matches: true,
  },
  {
    source: CREATING,
    name: "top-level region (other region)",
    pattern: { region: ["us-east-1"] },
    event: sampleEc2Event,
    matches: false,
  },
  {
    source: CREATING,
    name: "top-level region",
    pattern: { region: ["us-west-1"] },
    event: sampleEc2Event,
    matches: true,
  },
  {
    source: CREATING,
    name: "top-level id",
    pattern: { id: ["6a7e8feb-b491-4cf7-a9f1-bf3703467718"] },
    event: sampleEc2Event,
    matches: true,
  },
  { source: CREATING, name: "top-level version", pattern: { version: ["0"] }, event: sampleEc2Event, matches: true },
  {
    source: CREATING,
    name: "top-level time",
    pattern: { time: ["2017-12-22T18:43:48Z"] },
    event: sampleEc2Event,
    matches: true,
  },
  {
    source: CREATING,
    name: "top-level detail-type (other type)",
    pattern: { "detail-type": ["EC2 Spot Instance Interruption Warning"] },
    event: sampleEc2Event,
    matches: false,
  },
  {
    source: CREATING,
    name: "JSON booleans match",
    pattern: { detail: { encrypted: [true] } },
    event: eventWith({ encrypted: true }),
    matches: true,
  },
  {
    source: CREATING,
    name: "a boolean does not match its string form",
    pattern: { detail: { encrypted: [true] } },
    event: eventWith({ encrypted: "true" }),
    matches: false,
  },
  // Matching events on event field values: the Macie finding.
  {
    source: FIELD_VALUES,
    name: "severity score 1 and count 2",
    pattern: { source: ["aws.macie"], detail: { severity: { score: [1] }, count: [2] } },
    event: eventWith(
      { severity: { score: 1, description: "Low" }, count: 2 },
      { source: "aws.macie", "detail-type": "Macie Finding" },
    ),
    matches: true,
  },
  {
    source: FIELD_VALUES,
    name: "severity score 3 does not match",
    pattern: { source: ["aws.macie"], detail: { severity: { score: [1] }, count: [2] } },
    event: eventWith(
      { severity: { score: 3, description: "High" }, count: 2 },
      { source: "aws.macie", "detail-type": "Macie Finding" },
    ),
    matches: false,
  },
  {
    source: FIELD_VALUES,
    name: "a number does not match its string form",
    pattern: { detail: { count: [2] } },
    event: eventWith({ count: "2" }),
    matches: false,
  },
  // Arrays.
  {
    source: ARRAYS,
    name: "intersection of pattern and event arrays",
    pattern: arrayResources,
    event: {
      ...sampleEc2Event,
      resources: [
        "arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:eb56d16b-bbf0-401d-b893-d5978ed4a025:autoScalingGroupName/ASGTerminate",
        "arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f",
      ],
    },
    matches: true,
  },
  {
    source: ARRAYS,
    name: "disjoint arrays do not match",
    pattern: arrayResources,
    event: { ...sampleEc2Event, resources: ["arn:aws:ec2:us-east-1:999999999999:instance/i-b188560f"] },
    matches: false,
  },
  {
    source: ARRAYS,
    name: "an empty event array matches nothing",
    pattern: arrayResources,
    event: { ...sampleEc2Event, resources: [] },
    matches: false,
  },
  {
    source: ARRAYS,
    name: "any element of a detail array",
    pattern: { detail: { state: ["running"] } },
    event: eventWith({ state: ["initializing", "running"] }),
    matches: true,
  },
  {
    source: ARRAYS,
    name: "an array of objects matches through an element",
    pattern: { detail: { items: { sku: ["B-2"] } } },
    event: eventWith({ items: [{ sku: "A-1" }, { sku: "B-2" }] }),
    matches: true,
  },
  // Null values and empty strings.
  {
    source: NULLS,
    name: "empty string eventVersion",
    pattern: { detail: { eventVersion: [""] } },
    event: eventWith(nullEventDetail, { source: "aws.autoscaling" }),
    matches: true,
  },
  {
    source: NULLS,
    name: "null responseElements",
    pattern: { detail: { responseElements: [null] } },
    event: eventWith(nullEventDetail, { source: "aws.autoscaling" }),
    matches: true,
  },
  {
    source: NULLS,
    name: "an empty-string pattern does not match null",
    pattern: { detail: { responseElements: [""] } },
    event: eventWith(nullEventDetail),
    matches: false,
  },
  {
    source: NULLS,
    name: "a null pattern does not match an empty string",
    pattern: { detail: { eventVersion: [null] } },
    event: eventWith(nullEventDetail),
    matches: false,
  },
  {
    source: NULLS,
    name: "a null pattern does not match a missing field",
    pattern: { detail: { missing: [null] } },
    event: eventWith(nullEventDetail),
    matches: false,
  },
  {
    source: FIELD_VALUES,
    name: "field matching on null with source and detail-type",
    pattern: {
      source: ["aws.autoscaling"],
      "detail-type": ["EC2 Instance Launch Successful"],
      detail: { responseElements: [null] },
    },
    event: eventWith(nullEventDetail, { source: "aws.autoscaling", "detail-type": "EC2 Instance Launch Successful" }),
    matches: true,
  },
  // Comparison operators table.
  {
    source: OPERATORS,
    name: "And: Location and Day",
    pattern: { detail: { Location: ["New York"], Day: ["Monday"] } },
    event: eventWith({ Location: "New York", Day: "Monday" }),
    matches: true,
  },
  {
    source: OPERATORS,
    name: "And: one field differs",
    pattern: { detail: { Location: ["New York"], Day: ["Monday"] } },
    event: eventWith({ Location: "New York", Day: "Tuesday" }),
    matches: false,
  },
  {
    source: OPERATORS,
    name: "Empty: LastName is empty",
    pattern: { detail: { LastName: [""] } },
    event: eventWith({ LastName: "" }),
    matches: true,
  },
  {
    source: OPERATORS,
    name: "Empty: LastName is not empty",
    pattern: { detail: { LastName: [""] } },
    event: eventWith({ LastName: "Smith" }),
    matches: false,
  },
  {
    source: OPERATORS,
    name: "Equals: Name is Alice",
    pattern: { detail: { Name: ["Alice"] } },
    event: eventWith({ Name: "Alice" }),
    matches: true,
  },
  {
    source: OPERATORS,
    name: "Equals: Name is alice (case differs)",
    pattern: { detail: { Name: ["Alice"] } },
    event: eventWith({ Name: "alice" }),
    matches: false,
  },
  {
    source: OPERATORS,
    name: "Begins with: Region us-",
    pattern: { detail: { Region: [{ prefix: "us-" }] } },
    event: eventWith({ Region: "us-east-1" }),
    matches: true,
  },
  {
    source: OPERATORS,
    name: "Begins with: Region eu-",
    pattern: { detail: { Region: [{ prefix: "us-" }] } },
    event: eventWith({ Region: "eu-west-1" }),
    matches: false,
  },
  {
    source: OPERATORS,
    name: "Anything-but begins with: Region not in the US",
    pattern: { detail: { Region: [{ "anything-but": { prefix: "us-" } }] } },
    event: eventWith({ Region: "eu-west-1" }),
    matches: true,
  },
  {
    source: OPERATORS,
    name: "Anything-but begins with: a US Region",
    pattern: { detail: { Region: [{ "anything-but": { prefix: "us-" } }] } },
    event: eventWith({ Region: "us-west-2" }),
    matches: false,
  },
  {
    source: OPERATORS,
    name: "Anything-but ends with: not .png",
    pattern: { detail: { FileName: [{ "anything-but": { suffix: ".png" } }] } },
    event: eventWith({ FileName: "photo.jpg" }),
    matches: true,
  },
  {
    source: OPERATORS,
    name: "Anything-but ends with: a .png",
    pattern: { detail: { FileName: [{ "anything-but": { suffix: ".png" } }] } },
    event: eventWith({ FileName: "photo.png" }),
    matches: false,
  },
  {
    source: OPERATORS,
    name: "Ends with (ignore case): tbridge",
    pattern: { detail: { service: [{ suffix: { "equals-ignore-case": "tbridge" } }] } },
    event: eventWith({ service: "EvenTBRIDGE" }),
    matches: true,
  },
  // Prefix matching.
  {
    source: PREFIX,
    name: "time starts with 2017-10-02",
    pattern: { time: [{ prefix: "2017-10-02" }] },
    event: { ...sampleEc2Event, time: "2017-10-02T18:43:48Z" },
    matches: true,
  },
  {
    source: PREFIX,
    name: "time on another day",
    pattern: { time: [{ prefix: "2017-10-02" }] },
    event: sampleEc2Event,
    matches: false,
  },
  {
    source: PREFIX,
    name: "prefix applies to strings only",
    pattern: { detail: { code: [{ prefix: "12" }] } },
    event: eventWith({ code: 123 }),
    matches: false,
  },
  {
    source: PREFIX,
    name: "ignoring case: EVENTBRIDGE starts with EventB",
    pattern: { detail: { service: [{ prefix: { "equals-ignore-case": "EventB" } }] } },
    event: eventWith({ service: "EVENTBRIDGE" }),
    matches: true,
  },
  {
    source: PREFIX,
    name: "ignoring case: eventbus starts with EventB",
    pattern: { detail: { service: [{ prefix: { "equals-ignore-case": "EventB" } }] } },
    event: eventWith({ service: "eventbus" }),
    matches: true,
  },
  {
    source: PREFIX,
    name: "ignoring case: Bridge does not start with EventB",
    pattern: { detail: { service: [{ prefix: { "equals-ignore-case": "EventB" } }] } },
    event: eventWith({ service: "Bridge" }),
    matches: false,
  },
  // Suffix matching.
  {
    source: SUFFIX,
    name: "FileName ends with .png",
    pattern: { FileName: [{ suffix: ".png" }] },
    event: { ...sampleEc2Event, FileName: "image.png" },
    matches: true,
  },
  {
    source: SUFFIX,
    name: "suffix is case-sensitive",
    pattern: { FileName: [{ suffix: ".png" }] },
    event: { ...sampleEc2Event, FileName: "image.PNG" },
    matches: false,
  },
  {
    source: SUFFIX,
    name: "ignoring case: .PNG ends with .png",
    pattern: { detail: { FileName: [{ suffix: { "equals-ignore-case": ".png" } }] } },
    event: eventWith({ FileName: "image.PNG" }),
    matches: true,
  },
  {
    source: SUFFIX,
    name: "ignoring case: .jpg does not",
    pattern: { detail: { FileName: [{ suffix: { "equals-ignore-case": ".png" } }] } },
    event: eventWith({ FileName: "image.jpg" }),
    matches: false,
  },
  // Anything-but matching.
  {
    source: ANYTHING_BUT,
    name: "state is anything but initializing",
    pattern: { detail: { state: [{ "anything-but": "initializing" }] } },
    event: eventWith({ state: "running" }),
    matches: true,
  },
  {
    source: ANYTHING_BUT,
    name: "state is initializing",
    pattern: { detail: { state: [{ "anything-but": "initializing" }] } },
    event: eventWith({ state: "initializing" }),
    matches: false,
  },
  {
    source: ANYTHING_BUT,
    name: "anything-but needs the field",
    pattern: { detail: { state: [{ "anything-but": "initializing" }] } },
    event: eventWith({}),
    matches: false,
  },
  {
    source: ANYTHING_BUT,
    name: "x-limit anything but 123",
    pattern: { detail: { "x-limit": [{ "anything-but": 123 }] } },
    event: eventWith({ "x-limit": 456 }),
    matches: true,
  },
  {
    source: ANYTHING_BUT,
    name: "x-limit is 123",
    pattern: { detail: { "x-limit": [{ "anything-but": 123 }] } },
    event: eventWith({ "x-limit": 123 }),
    matches: false,
  },
  {
    source: ANYTHING_BUT,
    name: "list of strings: running",
    pattern: { detail: { state: [{ "anything-but": ["stopped", "overloaded"] }] } },
    event: eventWith({ state: "running" }),
    matches: true,
  },
  {
    source: ANYTHING_BUT,
    name: "list of strings: stopped",
    pattern: { detail: { state: [{ "anything-but": ["stopped", "overloaded"] }] } },
    event: eventWith({ state: "stopped" }),
    matches: false,
  },
  {
    source: ANYTHING_BUT,
    name: "list of numbers: 150",
    pattern: { detail: { "x-limit": [{ "anything-but": [100, 200, 300] }] } },
    event: eventWith({ "x-limit": 150 }),
    matches: true,
  },
  {
    source: ANYTHING_BUT,
    name: "list of numbers: 200",
    pattern: { detail: { "x-limit": [{ "anything-but": [100, 200, 300] }] } },
    event: eventWith({ "x-limit": 200 }),
    matches: false,
  },
  {
    source: ANYTHING_BUT,
    name: "prefix init: running",
    pattern: { detail: { state: [{ "anything-but": { prefix: "init" } }] } },
    event: eventWith({ state: "running" }),
    matches: true,
  },
  {
    source: ANYTHING_BUT,
    name: "prefix init: initializing",
    pattern: { detail: { state: [{ "anything-but": { prefix: "init" } }] } },
    event: eventWith({ state: "initializing" }),
    matches: false,
  },
  {
    source: ANYTHING_BUT,
    name: "suffix .txt: data.png",
    pattern: { detail: { FileName: [{ "anything-but": { suffix: ".txt" } }] } },
    event: eventWith({ FileName: "data.png" }),
    matches: true,
  },
  {
    source: ANYTHING_BUT,
    name: "suffix .txt: notes.txt",
    pattern: { detail: { FileName: [{ "anything-but": { suffix: ".txt" } }] } },
    event: eventWith({ FileName: "notes.txt" }),
    matches: false,
  },
  {
    source: ANYTHING_BUT,
    name: "ignore case: INITIALIZING",
    pattern: { detail: { state: [{ "anything-but": { "equals-ignore-case": "initializing" } }] } },
    event: eventWith({ state: "INITIALIZING" }),
    matches: false,
  },
  {
    source: ANYTHING_BUT,
    name: "ignore case: running",
    pattern: { detail: { state: [{ "anything-but": { "equals-ignore-case": "initializing" } }] } },
    event: eventWith({ state: "running" }),
    matches: true,
  },
  {
    source: ANYTHING_BUT,
    name: "ignore case list: Stopped",
    pattern: { detail: { state: [{ "anything-but": { "equals-ignore-case": ["initializing", "stopped"] } }] } },
    event: eventWith({ state: "Stopped" }),
    matches: false,
  },
  {
    source: ANYTHING_BUT,
    name: "wildcard */lib/*: a bin path",
    pattern: { detail: { FilePath: [{ "anything-but": { wildcard: "*/lib/*" } }] } },
    event: eventWith({ FilePath: "/usr/bin/env" }),
    matches: true,
  },
  {
    source: ANYTHING_BUT,
    name: "wildcard */lib/*: a lib path",
    pattern: { detail: { FilePath: [{ "anything-but": { wildcard: "*/lib/*" } }] } },
    event: eventWith({ FilePath: "/usr/lib/libc.so" }),
    matches: false,
  },
  {
    source: ANYTHING_BUT,
    name: "wildcard list: a bin path",
    pattern: { detail: { FilePath: [{ "anything-but": { wildcard: ["*/lib/*", "*/bin/*"] } }] } },
    event: eventWith({ FilePath: "/usr/bin/env" }),
    matches: false,
  },
  // Numeric matching.
  {
    source: NUMERIC,
    name: "all three ranges hold",
    pattern: numericExample,
    event: eventWith({ "c-count": 5, "d-count": 9, "x-limit": 301.8 }),
    matches: true,
  },
  {
    source: NUMERIC,
    name: "c-count 0 is not above 0",
    pattern: numericExample,
    event: eventWith({ "c-count": 0, "d-count": 9, "x-limit": 301.8 }),
    matches: false,
  },
  {
    source: NUMERIC,
    name: "d-count 10 is not below 10",
    pattern: numericExample,
    event: eventWith({ "c-count": 3, "d-count": 10, "x-limit": 301.8 }),
    matches: false,
  },
  {
    source: NUMERIC,
    name: "numbers given as strings do not match",
    pattern: numericExample,
    event: eventWith({ "c-count": "3", "d-count": 9, "x-limit": 301.8 }),
    matches: false,
  },
  {
    source: NUMERIC,
    name: "decimal range bounds",
    pattern: { detail: { price: [{ numeric: [">=", 1.5, "<", 2.5] }] } },
    event: eventWith({ price: 2.499999 }),
    matches: true,
  },
  {
    source: NUMERIC,
    name: "decimal upper bound is exclusive",
    pattern: { detail: { price: [{ numeric: [">=", 1.5, "<", 2.5] }] } },
    event: eventWith({ price: 2.5 }),
    matches: false,
  },
  {
    source: NUMERIC,
    name: "exact number in exponent form",
    pattern: { detail: { "x-limit": [3.018e2] } },
    event: eventWith({ "x-limit": 301.8 }),
    matches: true,
  },
  // IP address matching.
  {
    source: CIDR,
    name: "10.0.0.255 in 10.0.0.0/24",
    pattern: { detail: { sourceIPAddress: [{ cidr: "10.0.0.0/24" }] } },
    event: eventWith({ sourceIPAddress: "10.0.0.255" }),
    matches: true,
  },
  {
    source: CIDR,
    name: "10.0.1.1 outside 10.0.0.0/24",
    pattern: { detail: { sourceIPAddress: [{ cidr: "10.0.0.0/24" }] } },
    event: eventWith({ sourceIPAddress: "10.0.1.1" }),
    matches: false,
  },
  {
    source: CIDR,
    name: "IPv6 address in 2001:db8::/64",
    pattern: { detail: { sourceIPAddress: [{ cidr: "2001:db8::/64" }] } },
    event: eventWith({ sourceIPAddress: "2001:db8::ff00:42:8329" }),
    matches: true,
  },
  {
    source: CIDR,
    name: "IPv6 address outside 2001:db8::/64",
    pattern: { detail: { sourceIPAddress: [{ cidr: "2001:db8::/64" }] } },
    event: eventWith({ sourceIPAddress: "2001:db8:0:1::1" }),
    matches: false,
  },
  {
    source: CIDR,
    name: "an IPv4 address never matches an IPv6 block",
    pattern: { detail: { sourceIPAddress: [{ cidr: "2001:db8::/64" }] } },
    event: eventWith({ sourceIPAddress: "10.0.0.1" }),
    matches: false,
  },
  // Exists matching.
  {
    source: EXISTS,
    name: "no detail.c-count",
    pattern: { detail: { "c-count": [{ exists: false }] } },
    event: eventWith({ state: ["initializing", "running"] }),
    matches: true,
  },
  {
    source: EXISTS,
    name: "c-count is not a leaf node",
    pattern: { detail: { "c-count": [{ exists: false }] } },
    event: eventWith({ state: ["initializing", "running"], "c-count": { c1: 100 } }),
    matches: true,
  },
  {
    source: EXISTS,
    name: "c-count present as a leaf",
    pattern: { detail: { "c-count": [{ exists: false }] } },
    event: eventWith({ "c-count": 3 }),
    matches: false,
  },
  {
    source: EXISTS,
    name: "exists true: state present",
    pattern: { detail: { state: [{ exists: true }] } },
    event: sampleEc2Event,
    matches: true,
  },
  {
    source: EXISTS,
    name: "exists true: state missing",
    pattern: { detail: { state: [{ exists: true }] } },
    event: eventWith({}),
    matches: false,
  },
  {
    source: EXISTS,
    name: "exists true: a null field exists",
    pattern: { detail: { responseElements: [{ exists: true }] } },
    event: eventWith(nullEventDetail),
    matches: true,
  },
  {
    source: EXISTS,
    name: "exists true: an empty string exists",
    pattern: { detail: { eventVersion: [{ exists: true }] } },
    event: eventWith(nullEventDetail),
    matches: true,
  },
  {
    source: EXISTS,
    name: "exists false: a null field exists",
    pattern: { detail: { responseElements: [{ exists: false }] } },
    event: eventWith(nullEventDetail),
    matches: false,
  },
  // Equals-ignore-case matching.
  {
    source: IGNORE_CASE,
    name: "detail-type ignoring case",
    pattern: { "detail-type": [{ "equals-ignore-case": "ec2 instance state-change notification" }] },
    event: sampleEc2Event,
    matches: true,
  },
  {
    source: IGNORE_CASE,
    name: "Name alice matches Alice",
    pattern: { detail: { Name: [{ "equals-ignore-case": "alice" }] } },
    event: eventWith({ Name: "ALICE" }),
    matches: true,
  },
  {
    source: IGNORE_CASE,
    name: "Name alice does not match Alicia",
    pattern: { detail: { Name: [{ "equals-ignore-case": "alice" }] } },
    event: eventWith({ Name: "Alicia" }),
    matches: false,
  },
  // Wildcard matching.
  {
    source: WILDCARD,
    name: "*/lib/* matches a lib path",
    pattern: { detail: { FilePath: [{ wildcard: "*/lib/*" }] } },
    event: eventWith({ FilePath: "/usr/lib/libc.so" }),
    matches: true,
  },
  {
    source: WILDCARD,
    name: "*/lib/* does not match a bin path",
    pattern: { detail: { FilePath: [{ wildcard: "*/lib/*" }] } },
    event: eventWith({ FilePath: "/usr/bin/env" }),
    matches: false,
  },
  {
    source: WILDCARD,
    name: "* matches zero characters",
    pattern: { detail: { FileName: [{ wildcard: "*.png" }] } },
    event: eventWith({ FileName: ".png" }),
    matches: true,
  },
  {
    source: WILDCARD,
    name: "*Title* matches in the middle",
    pattern: { detail: { name: [{ wildcard: "*Title*" }] } },
    event: eventWith({ name: "MyTitleCard" }),
    matches: true,
  },
  {
    source: WILDCARD,
    name: "wildcards in an ARN",
    pattern: { resources: [{ wildcard: "arn:aws:ec2:*:123456789012:instance/*" }] },
    event: sampleEc2Event,
    matches: true,
  },
  {
    source: WILDCARD,
    name: "\\* is a literal asterisk",
    pattern: { detail: { name: [{ wildcard: "a\\*b" }] } },
    event: eventWith({ name: "a*b" }),
    matches: true,
  },
  {
    source: WILDCARD,
    name: "\\* does not match other characters",
    pattern: { detail: { name: [{ wildcard: "a\\*b" }] } },
    event: eventWith({ name: "axb" }),
    matches: false,
  },
  {
    source: WILDCARD,
    name: "\\\\ is a literal backslash",
    pattern: { detail: { path: [{ wildcard: "C:\\\\*" }] } },
    event: eventWith({ path: "C:\\Windows" }),
    matches: true,
  },
  {
    source: WILDCARD,
    name: "wildcard applies to strings only",
    pattern: { detail: { code: [{ wildcard: "1*" }] } },
    event: eventWith({ code: 123 }),
    matches: false,
  },
  // $or matching.
  { source: OR, name: "one alternative holds", pattern: orExample, event: eventWith({ "c-count": 3 }), matches: true },
  {
    source: OR,
    name: "the last alternative holds",
    pattern: orExample,
    event: eventWith({ "x-limit": 301.8 }),
    matches: true,
  },
  {
    source: OR,
    name: "no alternative holds",
    pattern: orExample,
    event: eventWith({ "c-count": 0, "d-count": 20, "x-limit": 1 }),
    matches: false,
  },
  {
    source: OR,
    name: "state running or terminated",
    pattern: { detail: { $or: [{ state: ["running"] }, { state: ["terminated"] }] } },
    event: sampleEc2Event,
    matches: true,
  },
  {
    source: OR,
    name: "$or beside other fields",
    pattern: {
      source: ["aws.cloudwatch"],
      $or: [{ "detail-type": ["CloudWatch Alarm State Change"] }, { detail: { namespace: ["AWS/EC2", "AWS/ES"] } }],
    },
    event: eventWith({ namespace: "AWS/ES" }, { source: "aws.cloudwatch" }),
    matches: true,
  },
  {
    source: OR,
    name: "$or does not override other fields",
    pattern: {
      source: ["aws.cloudwatch"],
      $or: [{ "detail-type": ["CloudWatch Alarm State Change"] }, { detail: { namespace: ["AWS/EC2", "AWS/ES"] } }],
    },
    event: eventWith({ namespace: "AWS/ES" }),
    matches: false,
  },
  {
    source: OR,
    name: "nested $or",
    pattern: { detail: { $or: [{ a: ["1"] }, { $or: [{ b: ["2"] }, { c: ["3"] }] }] } },
    event: eventWith({ c: "3" }),
    matches: true,
  },
  // Complex example.
  {
    source: COMPLEX,
    name: "every condition holds",
    pattern: complexExample,
    event: eventWith(
      { state: "running", "c-count": 2, "d-count": 1, "x-limit": 150 },
      { time: "2017-10-02T10:00:00Z" },
    ),
    matches: true,
  },
  {
    source: COMPLEX,
    name: "x-limit is excluded",
    pattern: complexExample,
    event: eventWith(
      { state: "running", "c-count": 2, "d-count": 1, "x-limit": 300 },
      { time: "2017-10-02T10:00:00Z" },
    ),
    matches: false,
  },
];

/** Patterns PutRule and TestEventPattern refuse with InvalidEventPatternException. */
export const invalidPatterns: { name: string; pattern: unknown }[] = [
  { name: "a leaf that is not an array", pattern: { source: "aws.ec2" } },
  { name: "an empty pattern", pattern: {} },
  { name: "an empty nested object", pattern: { detail: {} } },
  { name: "an empty array", pattern: { source: [] } },
  { name: "a pattern that is an array", pattern: [{ source: ["aws.ec2"] }] },
  { name: "a number leaf", pattern: { detail: { count: 5 } } },
  { name: "a nested array", pattern: { source: [["aws.ec2"]] } },
  { name: "an unknown operator", pattern: { source: [{ contains: "ec2" }] } },
  { name: "two operators in one condition", pattern: { source: [{ prefix: "aws.", suffix: "ec2" }] } },
  { name: "numeric with a string bound", pattern: { detail: { n: [{ numeric: [">", "0"] }] } } },
  { name: "numeric with an unknown comparison", pattern: { detail: { n: [{ numeric: ["!=", 0] }] } } },
  { name: "numeric upper bound before lower bound", pattern: { detail: { n: [{ numeric: ["<", 10, ">", 0] }] } } },
  { name: "numeric equality inside a range", pattern: { detail: { n: [{ numeric: ["=", 1, "<", 2] }] } } },
  { name: "numeric bound out of range", pattern: { detail: { n: [{ numeric: [">", 6e9] }] } } },
  { name: "numeric without a bound", pattern: { detail: { n: [{ numeric: [">"] }] } } },
  { name: "exists with a string", pattern: { detail: { n: [{ exists: "yes" }] } } },
  { name: "cidr with a prefix length too long", pattern: { detail: { ip: [{ cidr: "10.0.0.0/33" }] } } },
  { name: "cidr that is not an address", pattern: { detail: { ip: [{ cidr: "not-an-ip" }] } } },
  { name: "prefix with a number", pattern: { source: [{ prefix: 5 }] } },
  { name: "equals-ignore-case with a number", pattern: { source: [{ "equals-ignore-case": 5 }] } },
  { name: "anything-but with a mixed list", pattern: { detail: { s: [{ "anything-but": ["a", 1] }] } } },
  {
    name: "anything-but with an unknown operator",
    pattern: { detail: { s: [{ "anything-but": { numeric: [">", 1] } }] } },
  },
  { name: "wildcard with consecutive asterisks", pattern: { detail: { s: [{ wildcard: "a**b" }] } } },
  { name: "wildcard with an invalid escape", pattern: { detail: { s: [{ wildcard: "a\\b" }] } } },
  { name: "$or with one alternative", pattern: { $or: [{ source: ["aws.ec2"] }] } },
  { name: "$or that is not an array", pattern: { $or: { source: ["aws.ec2"] } } },
];
