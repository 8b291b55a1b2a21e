import type { SegmentSender } from "../segmentSender.js";

export interface StageSegmentInput {
  readonly traceId: string;
  readonly id: string;
  /** The caller's segment, when the request came with a trace header that had one. */
  readonly parentId?: string;
  readonly service: string;
  readonly stage: string;
  readonly accountId: string;
  readonly apiId: string;
  readonly requestId: string;
  readonly resourcePath?: string;
  readonly method: string;
  readonly url: string;
  readonly sourceIp: string;
  readonly userAgent?: string;
  readonly startedAt: number;
  readonly status: number;
  readonly contentLength: number;
}

/**
 * The segment an API Gateway stage with tracing records per request (X-Ray developer guide, "Amazon API Gateway
 * active tracing support"): named `<api>/<stage>`, origin `AWS::ApiGateway::Stage`, with the request and the
 * status; 4xx marks it `error`, 5xx `fault`.
 */
export function sendStageSegment(sender: SegmentSender | undefined, input: StageSegmentInput): void {
  sender?.send({
    trace_id: input.traceId,
    id: input.id,
    ...(input.parentId ? { parent_id: input.parentId } : {}),
    name: `${input.service}/${input.stage}`,
    origin: "AWS::ApiGateway::Stage",
    start_time: input.startedAt / 1000,
    end_time: Date.now() / 1000,
    http: {
      request: {
        method: input.method,
        url: input.url,
        client_ip: input.sourceIp,
        ...(input.userAgent ? { user_agent: input.userAgent } : {}),
      },
      response: { status: input.status, content_length: input.contentLength },
    },
    aws: {
      api_gateway: {
        account_id: input.accountId,
        rest_api_id: input.apiId,
        stage: input.stage,
        request_id: input.requestId,
        ...(input.resourcePath ? { resource_path: input.resourcePath } : {}),
      },
    },
    ...(input.status >= 400 && input.status < 500 ? { error: true } : {}),
    ...(input.status === 429 ? { throttle: true } : {}),
    ...(input.status >= 500 ? { fault: true } : {}),
  });
}
