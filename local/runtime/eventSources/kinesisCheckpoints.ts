import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";

/**
 * Where each shard poller got to: the last sequence number handled, by `<function>|<stream ARN>|<shard>`, as
 * Lambda keeps an event source mapping's position. In memory, or in a JSON file when the state persists.
 */
export class KinesisCheckpoints {
  private readonly positions: Record<string, string>;

  constructor(private readonly file?: string) {
    this.positions = {};
    if (!file) return;
    try {
      Object.assign(this.positions, JSON.parse(readFileSync(file, "utf8")) as Record<string, string>);
    } catch {
      // none yet
    }
  }

  get(key: string): string | undefined {
    return this.positions[key];
  }

  set(key: string, sequenceNumber: string): void {
    this.positions[key] = sequenceNumber;
    if (!this.file) return;
    mkdirSync(dirname(this.file), { recursive: true });
    writeFileSync(`${this.file}.tmp`, JSON.stringify(this.positions, null, 2));
    renameSync(`${this.file}.tmp`, this.file);
  }
}
