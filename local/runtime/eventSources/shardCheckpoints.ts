import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";

/**
 * Where each shard poller got to, Kinesis and DynamoDB Streams alike: the last sequence number handled, by
 * `<function>|<stream ARN>|<shard>`, as Lambda keeps an event source mapping's position. In memory, or in a JSON
 * file when the state persists; `legacyFile` is read when `file` does not exist yet (a renamed file).
 */
export class ShardCheckpoints {
  private readonly positions: Record<string, string>;

  constructor(
    private readonly file?: string,
    legacyFile?: string,
  ) {
    this.positions = {};
    if (!file) return;
    const source = !existsSync(file) && legacyFile && existsSync(legacyFile) ? legacyFile : file;
    try {
      Object.assign(this.positions, JSON.parse(readFileSync(source, "utf8")) as Record<string, string>);
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
