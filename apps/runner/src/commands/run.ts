import { existsSync } from "node:fs";
import { parseArgs } from "node:util";
import type { ConnectorPlugin } from "@qubit/core";
import { configFromEnv, loadConfig, readConfigFile } from "../config/load.js";
import { UsageError } from "../errors.js";
import { createLogger } from "../logger.js";
import type { CommandContext } from "../protocols/types.js";
import { Service } from "../service.js";

export const RUN_USAGE = `Usage: qubit run [--config FILE]

Runs every configured connector into the configured outputs until SIGINT
or SIGTERM, then flushes what it holds and exits 0. When every connector
is a file import, it exits once they are done.

Options:
  -c, --config FILE   config file (JSON); default $QUBIT_CONFIG, else the
                      MQTT_BROKER and MQTT_TOPICS environment variables,
                      else ./config.json
  --log-level LEVEL   trace, debug, info, warn, error; overrides the config`;

/** Runs `qubit run`. Returns the exit status. */
export async function runCommand(
  argv: string[],
  context: CommandContext,
  plugins: readonly ConnectorPlugin[],
): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      config: { type: "string", short: "c" },
      "log-level": { type: "string" },
      help: { type: "boolean", short: "h" },
    },
    strict: true,
  });
  if (values.help) {
    context.stdout.write(`${RUN_USAGE}\n`);
    return 0;
  }
  const fromEnv = configFromEnv(context.env);
  const path =
    values.config ??
    context.env.QUBIT_CONFIG ??
    (fromEnv === undefined && existsSync("config.json")
      ? "config.json"
      : undefined);
  const input = path ? readConfigFile(path) : fromEnv;
  if (!input) {
    throw new UsageError(
      "No configuration given",
      "pass --config FILE, set QUBIT_CONFIG, or set MQTT_BROKER and MQTT_TOPICS",
    );
  }
  const { config, warnings } = loadConfig(input, plugins, {
    env: context.env,
    source: path ?? "environment",
  });
  const logger = createLogger({
    level: values["log-level"] ?? config.log.level,
  });
  for (const warning of warnings)
    logger.warn(
      { path: warning.path, value: warning.value, fix: warning.fix },
      warning.message,
    );

  const service = new Service(config, { plugins, logger });
  await service.start();
  const signals: NodeJS.Signals[] = ["SIGINT", "SIGTERM"];
  const stopped = new Promise<string>((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      for (const other of signals) process.off(other, onSignal);
      // A second signal during the flush means the operator will not
      // wait: exit at once, leaving unacknowledged input to the sources.
      for (const other of signals) {
        process.once(other, () => {
          logger.error(
            { signal: other },
            "Second signal: exiting without finishing the flush",
          );
          process.exit(other === "SIGINT" ? 130 : 143);
        });
      }
      resolve(signal);
    };
    for (const signal of signals) process.on(signal, onSignal);
  });
  const allFinite =
    service.connectors.length > 0 &&
    service.connectors.every((connector) => connector.finite);
  const reason = await Promise.race([
    stopped,
    allFinite
      ? service.finiteDone().then(() => "finished")
      : new Promise<string>(() => undefined),
  ]);
  logger.info({ reason }, "Shutting down");
  await service.stop();
  const failed = service.connectors.filter(
    (connector) => connector.status === "failed",
  );
  return failed.length > 0 && allFinite ? 1 : 0;
}
