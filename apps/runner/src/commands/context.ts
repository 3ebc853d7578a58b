import {
  ConfigError,
  type ConnectorPlugin,
  type Logger,
  parseConfig,
  substituteEnv,
} from "@qubit/core";
import { readConfigFile } from "../config/load.js";
import { UsageError } from "../errors.js";
import type { CommandContext } from "../protocols/types.js";

/** Builds the context the protocol commands receive. */
export function commandContext(
  plugins: readonly ConnectorPlugin[],
  io: {
    stdout: NodeJS.WritableStream;
    stderr: NodeJS.WritableStream;
    env: Readonly<Record<string, string | undefined>>;
    logger: Logger;
  },
): CommandContext {
  return {
    ...io,
    now: Date.now,
    loadProtocolConfig<C>(path: string, protocol: string): C {
      const plugin = plugins.find(
        (candidate) => candidate.protocol === protocol,
      );
      if (!plugin)
        throw new UsageError(`No connector plugin for protocol "${protocol}"`);
      const file = readConfigFile(path) as Record<string, unknown>;
      let section: unknown = file;
      let base = "";
      if (file !== null && typeof file === "object" && protocol in file) {
        section = file[protocol];
        base = `/${protocol}`;
        if (Array.isArray(section)) {
          section = section[0];
          base += "/0";
        }
      }
      const substituted = substituteEnv(section, io.env, base);
      if (substituted.issues.length > 0)
        throw new ConfigError(substituted.issues, path);
      try {
        return parseConfig<C>(plugin.configSchema, substituted.value, path)
          .value;
      } catch (error) {
        if (error instanceof ConfigError && base !== "") {
          throw new ConfigError(
            error.issues.map((issue) => ({
              ...issue,
              path: `${base}${issue.path}`,
            })),
            path,
          );
        }
        throw error;
      }
    },
  };
}
