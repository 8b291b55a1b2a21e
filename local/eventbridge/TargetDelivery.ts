import type { Target } from "@aws-sdk/client-eventbridge";
import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import {
  GetQueueUrlCommand,
  type MessageAttributeValue,
  SendMessageCommand,
  type SendMessageCommandInput,
  SQSClient,
} from "@aws-sdk/client-sqs";
import { parseArn } from "./arns.js";
import { type Delivery, targetInput } from "./transformInput.js";

/** Delivers an event to a Lambda function; a rejection counts as a failed invocation (retried, then dead-lettered). */
export type LambdaInvoker = (functionArn: string, event: unknown) => Promise<void>;

export interface TargetDeliveryOptions {
  sqsEndpoint?: string;
  snsEndpoint?: string;
  region: string;
  invokeLambda?: LambdaInvoker;
  /** First retry delay; each later retry doubles it, with jitter. */
  retryBaseDelayMs: number;
  /** Observes every SendMessage this stand-in makes (targets and dead-letter queues). */
  onSendMessage?: (input: SendMessageCommandInput) => void;
}

/** An event bound for one target of one rule. */
export interface TargetEvent extends Delivery {
  target: Target;
  traceHeader?: string;
  /** When EventBridge accepted the event, for MaximumEventAgeInSeconds. */
  receivedAt: number;
}

/** AWS defaults: retry for 24 hours, up to 185 times ("Event retry policy and using dead-letter queues"). */
const DEFAULT_MAX_RETRIES = 185;
const DEFAULT_MAX_AGE_SECONDS = 86_400;
/** Errors that retrying cannot cure go to the dead-letter queue at once, as AWS does for missing resources. */
const NOT_RETRYABLE = new Set([
  "QueueDoesNotExist",
  "AWS.SimpleQueueService.NonExistentQueue",
  "NotFoundException",
  "NotFound",
  "ResourceNotFoundException",
]);
const fakeCredentials = { accessKeyId: "eventbridge-local", secretAccessKey: "eventbridge-local" };

/**
 * Sends events to SQS, SNS and Lambda targets asynchronously, honouring each target's RetryPolicy and
 * DeadLetterConfig, and keeps track of what is still in flight.
 *
 * @example
 * ```ts
 * const delivery = new TargetDelivery({ region: "us-east-1", sqsEndpoint, retryBaseDelayMs: 1000 });
 * delivery.dispatch(targetEvent);
 * await delivery.idle();
 * ```
 */
export class TargetDelivery {
  private readonly inFlight = new Set<Promise<void>>();
  private sqsClient?: SQSClient;
  private snsClient?: SNSClient;
  private closed = false;
  private readonly queueUrls = new Map<string, string>();

  constructor(private readonly options: TargetDeliveryOptions) {}

  setLambdaInvoker(invoker: LambdaInvoker): void {
    this.options.invokeLambda = invoker;
  }

  /** Starts delivery without waiting: PutEvents answers before targets receive the event, as on AWS. */
  dispatch(targetEvent: TargetEvent): void {
    const delivery = new Promise<void>((resolve) => setImmediate(resolve))
      .then(() => this.deliverWithRetries(targetEvent))
      .catch((error: unknown) => console.error("[eventbridge] delivery failed", error));
    this.inFlight.add(delivery);
    void delivery.finally(() => this.inFlight.delete(delivery));
  }

  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  close(): void {
    this.closed = true;
    this.sqsClient?.destroy();
    this.snsClient?.destroy();
  }

  private async deliverWithRetries(targetEvent: TargetEvent): Promise<void> {
    const policy = targetEvent.target.RetryPolicy;
    const maxRetries = policy?.MaximumRetryAttempts ?? DEFAULT_MAX_RETRIES;
    const maxAgeMs = (policy?.MaximumEventAgeInSeconds ?? DEFAULT_MAX_AGE_SECONDS) * 1000;
    for (let retries = 0; ; retries++) {
      try {
        await this.deliver(targetEvent);
        return;
      } catch (error) {
        const failure = describeFailure(error);
        const delay = this.options.retryBaseDelayMs * 2 ** retries * (0.5 + Math.random() / 2);
        let exhausted: string | undefined;
        if (retries >= maxRetries) exhausted = "MaximumRetryAttempts";
        else if (Date.now() + delay - targetEvent.receivedAt > maxAgeMs) exhausted = "MaximumEventAgeInSeconds";
        if (exhausted || NOT_RETRYABLE.has(failure.code)) {
          await this.deadLetter(targetEvent, failure, retries, exhausted);
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, delay).unref());
        if (this.closed) return;
      }
    }
  }

  private async deliver(targetEvent: TargetEvent): Promise<void> {
    const { target } = targetEvent;
    const arn = parseArn(target.Arn ?? "");
    const body = targetInput(target, targetEvent);
    switch (arn?.service) {
      case "sqs": {
        await this.sendMessage({
          QueueUrl: await this.queueUrl(target.Arn!),
          MessageBody: body,
          MessageGroupId: target.SqsParameters?.MessageGroupId,
          // EventBridge passes the X-Ray trace header on as the AWSTraceHeader system attribute.
          MessageSystemAttributes: targetEvent.traceHeader
            ? { AWSTraceHeader: { DataType: "String", StringValue: targetEvent.traceHeader } }
            : undefined,
        });
        return;
      }
      case "sns":
        await this.sns().send(new PublishCommand({ TopicArn: target.Arn, Message: body }));
        return;
      case "lambda": {
        const invoke = this.options.invokeLambda;
        if (!invoke) throw Object.assign(new Error("No Lambda invoker is configured."), { name: "NotFound" });
        await invoke(target.Arn!, parseJsonOrText(body));
        return;
      }
      default:
        throw Object.assign(new Error(`Cannot deliver to ${target.Arn}`), { name: "NotFound" });
    }
  }

  /**
   * Sends the original event to the target's dead-letter queue with the attributes AWS documents: ERROR_CODE,
   * ERROR_MESSAGE, EXHAUSTED_RETRY_CONDITION, RETRY_ATTEMPTS, RULE_ARN and TARGET_ARN.
   */
  private async deadLetter(
    targetEvent: TargetEvent,
    failure: { code: string; message: string },
    retries: number,
    exhausted: string | undefined,
  ): Promise<void> {
    const dlqArn = targetEvent.target.DeadLetterConfig?.Arn;
    if (!dlqArn) {
      console.warn(
        `[eventbridge] dropped event ${String(targetEvent.event.id)} for ${targetEvent.target.Arn}: ${failure.message}`,
      );
      return;
    }
    const text = (value: string): MessageAttributeValue => ({ DataType: "String", StringValue: value });
    const attributes: Record<string, MessageAttributeValue> = {
      ERROR_CODE: text(failure.code),
      ERROR_MESSAGE: text(failure.message || failure.code),
      RETRY_ATTEMPTS: text(String(retries)),
      RULE_ARN: text(targetEvent.ruleArn),
      TARGET_ARN: text(targetEvent.target.Arn ?? ""),
    };
    if (exhausted) attributes.EXHAUSTED_RETRY_CONDITION = text(exhausted);
    await this.sendMessage({
      QueueUrl: await this.queueUrl(dlqArn),
      MessageBody: JSON.stringify(targetEvent.event),
      MessageAttributes: attributes,
    });
  }

  private async sendMessage(input: SendMessageCommandInput): Promise<void> {
    this.options.onSendMessage?.(input);
    await this.sqs().send(new SendMessageCommand(input));
  }

  /**
   * The URL of the queue an ARN names: `arn:aws:sqs:<region>:<account>:<name>` is asked of the SQS endpoint with
   * GetQueueUrl (name and owner account), as the emulator may spell its URLs its own way; if it cannot answer,
   * the URL is derived as `<sqsEndpoint>/<account>/<name>`.
   */
  private async queueUrl(queueArn: string): Promise<string> {
    const known = this.queueUrls.get(queueArn);
    if (known) return known;
    const arn = parseArn(queueArn);
    const derived = `${this.endpoint("sqsEndpoint")}/${arn?.account}/${arn?.resource}`;
    try {
      const { QueueUrl } = await this.sqs().send(
        new GetQueueUrlCommand({ QueueName: arn?.resource, QueueOwnerAWSAccountId: arn?.account || undefined }),
      );
      if (!QueueUrl) return derived;
      this.queueUrls.set(queueArn, QueueUrl);
      return QueueUrl;
    } catch {
      return derived;
    }
  }

  private endpoint(name: "sqsEndpoint" | "snsEndpoint"): string {
    const endpoint = this.options[name];
    if (!endpoint) throw Object.assign(new Error(`No ${name} is configured.`), { name: "NotFound" });
    return endpoint.replace(/\/$/, "");
  }

  private sqs(): SQSClient {
    this.sqsClient ??= new SQSClient({
      endpoint: this.endpoint("sqsEndpoint"),
      region: this.options.region,
      credentials: fakeCredentials,
    });
    return this.sqsClient;
  }

  private sns(): SNSClient {
    this.snsClient ??= new SNSClient({
      endpoint: this.endpoint("snsEndpoint"),
      region: this.options.region,
      credentials: fakeCredentials,
    });
    return this.snsClient;
  }
}

function describeFailure(error: unknown): { code: string; message: string } {
  if (error instanceof Error) return { code: error.name || "Error", message: error.message };
  return { code: "Error", message: String(error) };
}

function parseJsonOrText(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch {
    return body;
  }
}
