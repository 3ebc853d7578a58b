import { spawn } from "node:child_process";
import { createServer, type Server, type Socket } from "node:net";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";

const CHILD = fileURLToPath(
  new URL("./helpers/close-child.ts", import.meta.url),
);

// A broken device: it accepts the connection, swallows every request and
// never ends its side (allowHalfOpen). No real peer can be configured to
// do this, so a plain net server is used in its place.
async function startSilentPeer(): Promise<{
  port: number;
  stop(): Promise<void>;
}> {
  const sockets = new Set<Socket>();
  const server: Server = createServer({ allowHalfOpen: true }, (socket) => {
    sockets.add(socket);
    socket.on("data", () => undefined);
    socket.on("error", () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return {
    port,
    async stop() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

interface ChildOutcome {
  exitCode: number | null;
  exitedAlone: boolean;
  readCode?: string;
  closeMs?: number;
  stderr: string;
}

// Runs the client in its own process, which must exit by itself within
// `limitMs` of printing its result; it is killed (by PID) otherwise.
function runChild(
  port: number,
  protocol: string,
  limitMs: number,
): Promise<ChildOutcome> {
  const child = spawn(
    process.execPath,
    [
      "--import",
      "tsx",
      "--conditions=@qubit/source",
      CHILD,
      String(port),
      protocol,
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  return new Promise((resolve) => {
    let timer: NodeJS.Timeout | undefined;
    let exitedAlone = true;
    const arm = () => {
      timer ??= setTimeout(() => {
        exitedAlone = false;
        child.kill("SIGKILL");
      }, limitMs);
    };
    child.stdout.on("data", () => {
      if (stdout.includes("\n")) arm();
    });
    // Startup (tsx compiling the sources) is not part of the limit, but a
    // child that never prints is stopped after 30 s.
    const startupTimer = setTimeout(() => {
      exitedAlone = false;
      child.kill("SIGKILL");
    }, 30_000);
    child.on("exit", (exitCode) => {
      clearTimeout(timer);
      clearTimeout(startupTimer);
      const line = stdout.split("\n")[0] ?? "";
      const parsed = line
        ? (JSON.parse(line) as { readCode: string; closeMs: number })
        : undefined;
      resolve({ exitCode, exitedAlone, stderr, ...parsed });
    });
  });
}

const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const stop of stops.splice(0)) await stop();
});

describe("close against a silent peer", () => {
  for (const protocol of ["tcp", "rtu_over_tcp"]) {
    it(`closes ${protocol} promptly and exits`, async () => {
      const peer = await startSilentPeer();
      stops.push(() => peer.stop());
      const outcome = await runChild(peer.port, protocol, 3000);
      expect(outcome.stderr).toBe("");
      expect(outcome.readCode).toBe("QUBIT_MODBUS_TIMEOUT");
      // Ending the socket instead of destroying it makes close() wait for its
      // 1 s fallback timer.
      expect(outcome.closeMs).toBeLessThan(500);
      expect(outcome.exitedAlone).toBe(true);
      expect(outcome.exitCode).toBe(0);
    });
  }
});
