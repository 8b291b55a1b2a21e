import type { MiddlewareObj } from "@middy/core";
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from "aws-lambda";
import { HttpProblem } from "../../../shared/http/problem.js";
import { routeHandler } from "../../../shared/http/routeHandler.js";
import { createUploadRoute, TOO_LARGE, UNSUPPORTED_TYPE } from "../api.js";
import { createPending } from "../store/media.js";
import { presignUpload } from "../store/uploads.js";

/**
 * The contract's statuses for the two fields it singles out: a body whose only violations are an unsupported
 * `contentType` is a 415, one whose only violation is a `contentLength` over 10 MiB a 413 (each with its field in
 * `errors`); any other violation, alone or beside them, stays the 400 that lists every field.
 */
export function uploadProblem(problem: HttpProblem): HttpProblem {
  const errors = problem.errors ?? [];
  if (problem.status !== 400 || errors.length === 0) return problem;
  const type = errors.filter((e) => e.path === "body.contentType" && e.message === UNSUPPORTED_TYPE);
  const size = errors.filter((e) => e.path === "body.contentLength" && e.message === TOO_LARGE);
  if (type.length + size.length !== errors.length) return problem;
  if (type.length > 0)
    return new HttpProblem("unsupported-media-type", "only image/jpeg, image/png and image/webp can be uploaded", {
      errors,
    });
  return new HttpProblem("payload-too-large", "an upload may be at most 10 MiB", { errors });
}

/** Runs first among the error handlers (it is added last): turns the 400 into the 413 or 415 before it is answered. */
function contractStatuses(): MiddlewareObj<APIGatewayProxyEvent, APIGatewayProxyResult> {
  return {
    onError: (request) => {
      if (request.error instanceof HttpProblem) request.error = uploadProblem(request.error);
    },
  };
}

/**
 * `POST /media/uploads`: the caller's `pending` media item, and a presigned PUT of its original bound to the claimed
 * type and exact length (15 minutes). Nothing else happens until the bytes arrive (the bucket's notification).
 */
export const handler = routeHandler(createUploadRoute, {
  handler: async ({ body, auth }) => {
    const item = await createPending({ ownerId: auth.userId, ...body });
    return { mediaId: item.mediaId, ...(await presignUpload(item)) };
  },
}).use(contractStatuses());
