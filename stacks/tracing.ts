/**
 * X-Ray everywhere, as a policy rather than a per-resource setting: no SST component has a tracing prop, so the
 * underlying Pulumi resources are transformed as they are created. Must run before any resource is declared.
 */
export function applyTracing(): void {
  // Lambda active tracing: the function samples and sends its segment; the role must be allowed to write it.
  $transform(aws.lambda.Function, (args) => {
    args.tracingConfig = { mode: "Active" };
  });
  // REST API stages: API Gateway starts the trace and passes the header on to the integration.
  $transform(aws.apigateway.Stage, (args) => {
    args.xrayTracingEnabled = true;
  });
  // SNS active tracing keeps the trace across the topic hop to its subscribers.
  $transform(aws.sns.Topic, (args) => {
    if (args) args.tracingConfig = "Active";
  });
  // Active tracing needs xray:PutTraceSegments/PutTelemetryRecords on the execution role (AWS managed policy).
  const partition = aws.getPartitionOutput().partition;
  const xrayWrite = $interpolate`arn:${partition}:iam::aws:policy/AWSXRayDaemonWriteAccess`;
  $transform(sst.aws.Function, (args) => {
    const policies: $util.Input<string[]> = args.policies ?? [];
    args.policies = $resolve([$output(policies), xrayWrite]).apply(([own, arn]) => [
      ...(own as string[]),
      arn as string,
    ]);
  });
}
