import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

/**
 * The Sungrow SH8.0RT-20 register dump of ../shared/realdata (NO LICENSE
 * upstream, so it is read at test time and never copied). Returns
 * `undefined` when the folder is absent.
 */
export const SUNGROW_DUMP = fileURLToPath(
  new URL(
    "../../../../../shared/realdata/modbus/sungrow-sh8rt-slave-register-dump.yaml",
    import.meta.url,
  ),
);

export interface SungrowDump {
  /** Input registers by Sungrow's 1-based number. */
  input: Map<number, number>;
  /** Holding registers by Sungrow's 1-based number. */
  holding: Map<number, number>;
  /** Decoded values the dump's author recorded, by signal name. */
  signals: Map<string, string>;
}

/** Reads the dump's simple YAML: `registers.read`, `registers.hold`, `signals`. */
export function loadSungrowDump(): SungrowDump | undefined {
  if (!existsSync(SUNGROW_DUMP)) return undefined;
  const dump: SungrowDump = {
    input: new Map(),
    holding: new Map(),
    signals: new Map(),
  };
  let section: "read" | "hold" | "signals" | undefined;
  for (const line of readFileSync(SUNGROW_DUMP, "utf8").split("\n")) {
    if (line === "  read:") section = "read";
    else if (line === "  hold:") section = "hold";
    else if (line === "signals:") section = "signals";
    const register = /^ {4}(\d+): (\d+)$/.exec(line);
    if (register && (section === "read" || section === "hold")) {
      const map = section === "read" ? dump.input : dump.holding;
      map.set(Number(register[1]), Number(register[2]));
      continue;
    }
    const signal = /^ {2}([a-z0-9_]+): (.+)$/.exec(line);
    if (signal && section === "signals")
      dump.signals.set(signal[1]!, signal[2]!);
  }
  return dump;
}
