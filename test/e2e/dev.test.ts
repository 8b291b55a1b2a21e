import { execFileSync, spawn } from "node:child_process";
import { expect, test } from "vitest";

/** Every process in a process group, by `ps` (pid and command). */
function groupMembers(pgid: number): { pid: number; args: string }[] {
  try {
    return execFileSync("ps", ["-e", "-o", "pid=,pgid=,args="], { encoding: "utf8" })
      .split("\n")
      .map((line) => line.trim().match(/^(\d+)\s+(\d+)\s+(.*)$/))
      .filter((m): m is RegExpMatchArray => m !== null && Number(m[2]) === pgid)
      .map((m) => ({ pid: Number(m[1]), args: m[3]! }));
  } catch {
    return [];
  }
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

test("npm run dev starts to a healthy /_health and leaves no process behind on Ctrl-C", async () => {
  const began = Date.now();
  const child = spawn("npm", ["run", "dev", "--", "--clean"], {
    cwd: new URL("../..", import.meta.url).pathname,
    env: { ...process.env, PORT: "0" },
    detached: true, // its own process group, as a terminal's foreground job
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  const exited = new Promise<string>((resolve) =>
    child.once("exit", (code, signal) => resolve(code === null ? String(signal) : String(code))),
  );
  const pgid = child.pid!;
  try {
    let healthUrl: string | undefined;
    let status = 0;
    while (Date.now() - began < 60_000) {
      healthUrl ??= output.match(/Health\s+(http:\/\/\S+\/_health)/)?.[1];
      if (healthUrl) {
        status = await fetch(healthUrl)
          .then((res) => res.status)
          .catch(() => 0);
        if (status === 200) break;
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    expect(status, output).toBe(200);
    console.log(`npm run dev: /_health 200 after ${Date.now() - began} ms`);
    const members = groupMembers(pgid);
    expect(
      members.some((m) => m.args.includes("java")),
      output,
    ).toBe(true); // DynamoDB Local
    expect(
      members.some((m) => m.args.includes("cognito-local")),
      output,
    ).toBe(true);

    process.kill(-pgid, "SIGINT"); // Ctrl-C reaches the whole foreground group
    const code = await Promise.race([exited, new Promise((resolve) => setTimeout(() => resolve("hung"), 20_000))]);
    // npm re-raises the SIGINT it got once its script ended; node's own shutdown exits 0 and says so.
    expect(["0", "SIGINT"], output).toContain(code);
    const deadline = Date.now() + 15_000;
    while (members.some((m) => alive(m.pid)) && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 100));
    expect(members.filter((m) => alive(m.pid)).map((m) => m.args)).toEqual([]);
    expect(output).toContain("Stopped.");
  } finally {
    if (alive(pgid)) process.kill(-pgid, "SIGKILL");
  }
}, 90_000);
