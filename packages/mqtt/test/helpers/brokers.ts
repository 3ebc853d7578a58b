import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server, Socket } from "node:net";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";

/** Path of the Mosquitto broker the tests start. */
export const MOSQUITTO = "/usr/sbin/mosquitto";

/** Returns a TCP port on 127.0.0.1 that was free a moment ago. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === "string")
    throw new Error("no port assigned");
  return address.port;
}

/** Waits until a condition holds, polling; throws after `timeoutMs`. */
export async function waitFor(
  condition: () => boolean | Promise<boolean>,
  timeoutMs = 20_000,
  what = "condition",
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Resolves once a TCP port accepts connections. */
export async function waitForPort(port: number, timeoutMs = 10_000) {
  await waitFor(
    () =>
      new Promise<boolean>((resolve) => {
        const socket = new Socket();
        socket.once("connect", () => {
          socket.destroy();
          resolve(true);
        });
        socket.once("error", () => resolve(false));
        socket.connect(port, "127.0.0.1");
      }),
    timeoutMs,
    `port ${port}`,
  );
}

/** A Mosquitto instance started by a test. */
export interface MosquittoInstance {
  /** Port of the first listener. */
  port: number;
  ports: number[];
  dir: string;
  readonly pid: number | undefined;
  /** Stops it with SIGTERM (it saves its persistence file) and waits. */
  stop(): Promise<void>;
  /** Starts it again with the same config and ports. */
  start(): Promise<void>;
  /** Stops it and removes its folder. */
  dispose(): Promise<void>;
}

/**
 * Starts Mosquitto with its own config in a temporary folder. `listeners`
 * gives the config lines of each listener after its `listener PORT
 * 127.0.0.1` line; `global` adds lines before them.
 */
export async function startMosquitto(
  options: { listeners?: string[][]; global?: string[]; dir?: string } = {},
): Promise<MosquittoInstance> {
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), "qubit-mosquitto-"));
  mkdirSync(dir, { recursive: true });
  const listeners = options.listeners ?? [["allow_anonymous true"]];
  const ports: number[] = [];
  for (let index = 0; index < listeners.length; index += 1)
    ports.push(await freePort());
  const lines = [
    "per_listener_settings true",
    // Run as the user that starts the test: started as root, Mosquitto
    // would switch to the mosquitto user, which cannot read the temporary
    // folder.
    `user ${userInfo().username}`,
    `persistence_location ${dir}/`,
    ...(options.global ?? []),
  ];
  listeners.forEach((listener, index) => {
    lines.push(`listener ${ports[index]} 127.0.0.1`, ...listener);
  });
  const configPath = join(dir, "mosquitto.conf");
  writeFileSync(configPath, `${lines.join("\n")}\n`);
  let child: ChildProcess | undefined;

  const instance: MosquittoInstance = {
    port: ports[0]!,
    ports,
    dir,
    get pid() {
      return child?.pid;
    },
    async start() {
      const started = spawn(MOSQUITTO, ["-c", configPath], {
        stdio: ["ignore", "ignore", "pipe"],
      });
      let log = "";
      started.stderr?.on("data", (chunk) => {
        log += String(chunk);
      });
      child = started;
      try {
        for (const port of ports) await waitForPort(port);
      } catch (error) {
        started.kill("SIGKILL");
        throw new Error(`mosquitto did not start: ${log}`, { cause: error });
      }
    },
    async stop() {
      const running = child;
      child = undefined;
      if (!running || running.exitCode !== null) return;
      const exited = new Promise((resolve) => running.once("exit", resolve));
      running.kill("SIGTERM");
      await exited;
    },
    async dispose() {
      await instance.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await instance.start();
  return instance;
}

/** PEM files made by openssl for TLS tests. */
export interface Certificates {
  dir: string;
  ca: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
  /** A CA that signed nothing here, for the wrong-CA case. */
  otherCa: string;
}

/**
 * Creates a CA, a server certificate for `localhost` and 127.0.0.1, a
 * client certificate, and an unrelated second CA, with openssl.
 */
export function makeCertificates(dir: string): Certificates {
  const path = (name: string) => join(dir, name);
  const openssl = (...args: string[]) =>
    execFileSync("openssl", args, { stdio: "pipe" });
  const ca = (name: string) => {
    openssl(
      "req",
      "-x509",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-days",
      "2",
      "-subj",
      `/CN=${name}`,
      "-keyout",
      path(`${name}.key`),
      "-out",
      path(`${name}.crt`),
    );
  };
  const leaf = (name: string, extensions: string) => {
    writeFileSync(path(`${name}.ext`), extensions);
    openssl(
      "req",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-subj",
      `/CN=${name}`,
      "-keyout",
      path(`${name}.key`),
      "-out",
      path(`${name}.csr`),
    );
    openssl(
      "x509",
      "-req",
      "-in",
      path(`${name}.csr`),
      "-CA",
      path("qubit-test-ca.crt"),
      "-CAkey",
      path("qubit-test-ca.key"),
      "-CAcreateserial",
      "-days",
      "2",
      "-out",
      path(`${name}.crt`),
      "-extfile",
      path(`${name}.ext`),
    );
  };
  ca("qubit-test-ca");
  ca("other-ca");
  leaf(
    "server",
    "subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n",
  );
  leaf("client", "extendedKeyUsage=clientAuth\n");
  return {
    dir,
    ca: path("qubit-test-ca.crt"),
    serverCert: path("server.crt"),
    serverKey: path("server.key"),
    clientCert: path("client.crt"),
    clientKey: path("client.key"),
    otherCa: path("other-ca.crt"),
  };
}

/** An aedes broker in this process, over TCP or WebSocket. */
export interface AedesInstance {
  port: number;
  /** The aedes broker object. */
  broker: unknown;
  close(): Promise<void>;
}

/** Starts aedes on a free port; `websocket` serves MQTT over ws:// at `path`. */
export async function startAedes(
  options: {
    websocket?: { path: string; tls?: { cert: string; key: string } };
  } = {},
): Promise<AedesInstance> {
  const { Aedes } = await import("aedes");
  const broker = await Aedes.createBroker();
  const port = await freePort();
  let server: Server | import("node:http").Server;
  let closeExtra = async () => {};
  if (options.websocket) {
    const { createServer: createHttpServer } = await import("node:http");
    const { createServer: createHttpsServer } = await import("node:https");
    const { readFileSync } = await import("node:fs");
    const { WebSocketServer, createWebSocketStream } = await import("ws");
    const tls = options.websocket.tls;
    const http = tls
      ? createHttpsServer({
          cert: readFileSync(tls.cert),
          key: readFileSync(tls.key),
        })
      : createHttpServer();
    const wss = new WebSocketServer({
      server: http,
      path: options.websocket.path,
    });
    wss.on("connection", (socket) => {
      const stream = createWebSocketStream(socket);
      broker.handle(stream as never);
    });
    server = http;
    closeExtra = async () => {
      for (const client of wss.clients) client.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    };
  } else {
    server = createServer(broker.handle);
  }
  await new Promise<void>((resolve) =>
    server.listen(port, "127.0.0.1", resolve),
  );
  return {
    port,
    broker,
    async close() {
      await closeExtra();
      await new Promise<void>((resolve) => broker.close(() => resolve()));
      if ("closeAllConnections" in server) server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Creates a temporary folder removed by the returned function. */
export function temporaryDir(prefix: string): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
