import { createSocket, type Socket } from "node:dgram";
import { daemonAddress, datagramOf } from "../../shared/tracing/emitter.js";

/** An X-Ray segment document, as the daemon receives it. */
export interface SegmentDocument {
  readonly trace_id: string;
  readonly id: string;
  readonly name: string;
  readonly start_time: number;
  readonly end_time?: number;
  readonly parent_id?: string;
  readonly origin?: string;
  readonly error?: boolean;
  readonly fault?: boolean;
  readonly throttle?: boolean;
  readonly http?: unknown;
  readonly aws?: unknown;
  readonly annotations?: Record<string, string | number | boolean>;
  readonly cause?: unknown;
  readonly subsegments?: readonly unknown[];
  readonly [key: string]: unknown;
}

/**
 * Sends the segments the platform itself records (API Gateway stages, Lambda functions) to the collector, in
 * the daemon's UDP format, as `shared/tracing` sends the functions' own subsegments.
 */
export class SegmentSender {
  private readonly socket: Socket = createSocket("udp4");
  private readonly host: string;
  private readonly port: number;

  constructor(address: string) {
    ({ host: this.host, port: this.port } = daemonAddress(address));
    this.socket.unref();
  }

  send(segment: SegmentDocument): void {
    this.socket.send(datagramOf(segment), this.port, this.host);
  }

  close(): void {
    this.socket.close();
  }
}
