import {
  ChargePointClient,
  ChargingSimulator,
  hashPassword,
  parseVersion,
} from "@qubit/ocpp";
import { UsageError } from "../../errors.js";
import type { ExtraCommand } from "../types.js";

const SIMULATE_USAGE = `Usage: qubit simulate ocpp --url URL --charge-point ID [options]

Runs a simulated charge point against a CSMS: boot, status changes and
charging sessions with meter values. An unreachable CSMS is retried with
exponential backoff and jitter, from 0.5 to 1 s at first up to 15 to
30 s. A rejected connection (HTTP 401
for a wrong password, 404 for an unknown id) is printed to stderr with
the delay and retried after a random 15 to 30 s (the 30 s maximum with
jitter, so many chargers do not retry at once). Stops after the
sessions, or on Ctrl-C.

Options:
  --url URL              CSMS endpoint, for example ws://127.0.0.1:9000/ocpp
  --charge-point ID      charge point id (appended to the URL)
  --version VERSION      1.6 (default) or 2.0.1
  --password PASSWORD    basic-auth password (security profiles 1 and 2)
  --sessions N           sessions to run; default 1, 0 runs until stopped
  --duration SECONDS     length of each session; default 60
  --interval SECONDS     meter value interval; default 10
  --power WATTS          charging power; default 7400`;

function numberOption(value: unknown, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const number = Number(value);
  if (!Number.isFinite(number) || number < 0) {
    throw new UsageError(
      `Invalid --${name} ${JSON.stringify(value)}`,
      `give a number, for example --${name} ${fallback}`,
    );
  }
  return number;
}

/** `qubit simulate ocpp`: a simulated charge point for any CSMS. */
export const simulateCommand: ExtraCommand = {
  path: ["simulate", "ocpp"],
  summary: "run a simulated OCPP charge point against a CSMS",
  usage: SIMULATE_USAGE,
  options: {
    url: { type: "string" },
    "charge-point": { type: "string" },
    version: { type: "string" },
    password: { type: "string" },
    sessions: { type: "string" },
    duration: { type: "string" },
    interval: { type: "string" },
    power: { type: "string" },
  },
  async run(args, context) {
    const url = args.values.url;
    const identity = args.values["charge-point"];
    if (
      typeof url !== "string" ||
      !/^wss?:\/\//.test(url) ||
      typeof identity !== "string"
    ) {
      throw new UsageError(
        "--url (ws:// or wss://) and --charge-point are required",
        `usage:\n${SIMULATE_USAGE}`,
      );
    }
    const version = parseVersion(String(args.values.version ?? "1.6"));
    if (!version)
      throw new UsageError(
        `Invalid --version ${JSON.stringify(args.values.version)}`,
        "use 1.6 or 2.0.1",
      );
    const options: ConstructorParameters<typeof ChargePointClient>[0] = {
      version,
      url,
      identity,
      logger: context.logger,
    };
    if (typeof args.values.password === "string") {
      options.basicAuth = {
        username: identity,
        password: args.values.password,
      };
    }
    const client = new ChargePointClient(options);
    const simulator = new ChargingSimulator(client, {
      sessions: numberOption(args.values.sessions, "sessions", 1),
      sessionDurationS: numberOption(args.values.duration, "duration", 60),
      meterIntervalS: numberOption(args.values.interval, "interval", 10),
      powerW: numberOption(args.values.power, "power", 7_400),
      idTag: "SIMULATED-TAG",
    });
    const abort = new AbortController();
    const onSignal = () => abort.abort();
    process.once("SIGINT", onSignal);
    process.once("SIGTERM", onSignal);
    client.on("connected", () =>
      context.stdout.write(
        `connected to ${url} as ${identity} (OCPP ${version})\n`,
      ),
    );
    client.on("answered", ({ action, response }) =>
      context.stdout.write(`${action} -> ${JSON.stringify(response)}\n`),
    );
    client.on("failed", ({ action, error }) =>
      context.stderr.write(`${action} failed: ${error.message}\n`),
    );
    client.on("connect_failed", ({ error, retryInMs }) => {
      const fix = error.fix === undefined ? "" : ` (${error.fix})`;
      context.stderr.write(
        `${error.code}: ${error.message}${fix}; retrying in ${Math.ceil(retryInMs / 1000)} s\n`,
      );
    });
    client.start();
    try {
      await simulator.run(abort.signal);
    } finally {
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
      await client.close();
    }
    return 0;
  },
};

/** `qubit ocpp hash-password`: prints a scrypt hash for `charge_points`. */
export const hashPasswordCommand: ExtraCommand = {
  path: ["ocpp", "hash-password"],
  summary: "print the password_hash of a charge point password",
  usage: `Usage: qubit ocpp hash-password PASSWORD

Prints the scrypt hash to put in charge_points.<id>.password_hash.`,
  options: {},
  allowPositionals: true,
  async run(args, context) {
    const [password] = args.positionals;
    if (!password)
      throw new UsageError(
        "PASSWORD is missing",
        "usage: qubit ocpp hash-password PASSWORD",
      );
    context.stdout.write(`${await hashPassword(password)}\n`);
    return 0;
  },
};
