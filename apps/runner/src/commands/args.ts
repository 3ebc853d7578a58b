import type { ParseArgsConfig } from "node:util";

const NEGATIVE_NUMBER = /^-(\d|\.\d)/;

/**
 * Rewrites `--name -3.5` and `-n -3.5` as `--name=-3.5` for string
 * options, because `parseArgs` rejects a value that starts with a dash as
 * ambiguous. Only negative numbers are joined, so a missing value before
 * another option is still reported.
 */
export function joinNegativeValues(
  args: readonly string[],
  options: ParseArgsConfig["options"] = {},
): string[] {
  const result: string[] = [];
  for (let index = 0; index < args.length; index += 1) {
    const arg = args[index]!;
    if (arg === "--") {
      result.push(...args.slice(index));
      break;
    }
    const name = stringOptionName(arg, options);
    const next = args[index + 1];
    if (name && next !== undefined && NEGATIVE_NUMBER.test(next)) {
      result.push(`--${name}=${next}`);
      index += 1;
      continue;
    }
    result.push(arg);
  }
  return result;
}

function stringOptionName(
  arg: string,
  options: NonNullable<ParseArgsConfig["options"]>,
): string | undefined {
  let name: string | undefined;
  if (arg.startsWith("--")) name = arg.slice(2);
  else if (/^-[^-]$/.test(arg))
    name = Object.keys(options).find((key) => options[key]?.short === arg[1]);
  if (name === undefined || options[name]?.type !== "string") return undefined;
  return name;
}
