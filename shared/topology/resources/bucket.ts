import type * as v from "valibot";
import type { EventContract } from "../../events/defineEvent.js";
import type { ResourceDeclaration } from "./resource.js";

export interface BucketOptions {
  /** The SQS event every object-created notification is delivered as (the queue of its one consumer). */
  readonly notifies: string;
}

/** A private bucket read through a CDN, whose object-created notifications are an event (media uploads). */
export type BucketResource = ResourceDeclaration<"bucket", BucketOptions>;

/**
 * Declares a bucket behind the CDN whose object-created notifications travel as `notifies`, an event on SQS (S3
 * sends them straight to the event's queue, so the bytes never pass through a function first).
 *
 * @example
 * ```ts
 * defineService({ name: "media", resources: { MediaBucket: bucket({ notifies: UploadReceived }) }, … });
 * ```
 */
export function bucket(options: { readonly notifies: EventContract<string, v.GenericSchema, "sqs"> }): BucketResource {
  return { kind: "bucket", options: { notifies: options.notifies.type }, linkable: true, raises: [options.notifies] };
}
