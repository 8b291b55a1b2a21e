import { Logger } from "@aws-lambda-powertools/logger";

/**
 * The one structured JSON logger. Powertools adds `xray_trace_id` from the invocation's trace header on every
 * line; the middleware sets the correlation id (`correlation_id`) per invocation.
 */
export const logger = new Logger();
