#!/usr/bin/env node
// The two quick-start commands of the README, for a fresh machine with
// Node.js >= 20 and npm:
//   node tools/quickstart.mjs demo   install, build and run `qubit demo`
//   node tools/quickstart.mjs test   install what the tests need, run them
// pnpm 10 is installed with npm when it is missing. The test command
// installs the Debian packages the integration tests run (mosquitto,
// python3-pymodbus, socat, openssl) with apt-get where the machine has
// it, and says what is missing where it has not.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const PNPM_VERSION = "10.34.9";
const APT_PACKAGES = [
  "mosquitto",
  "mosquitto-clients",
  "python3-pymodbus",
  "python3-serial-asyncio",
  "socat",
  "openssl",
];

function log(message) {
  process.stderr.write(`[quickstart] ${message}\n`);
}

function run(command, args, options = {}) {
  log(`${command} ${args.join(" ")}`);
  const result = spawnSync(command, args, {
    cwd: root,
    stdio: "inherit",
    ...options,
  });
  if (result.error) throw result.error;
  return result.status ?? 1;
}

function has(command) {
  return (
    spawnSync("sh", ["-c", `command -v ${command}`], { stdio: "ignore" })
      .status === 0
  );
}

function ensureNode() {
  const major = Number(process.versions.node.split(".")[0]);
  if (major < 20) {
    log(
      `Node.js ${process.versions.node} is too old: install Node.js 20 or newer`,
    );
    process.exit(1);
  }
}

function ensurePnpm() {
  const current = spawnSync("pnpm", ["--version"], { encoding: "utf8" });
  if (current.status === 0 && current.stdout.trim().startsWith("10.")) return;
  log(
    `pnpm 10 not found (${current.status === 0 ? current.stdout.trim() : "missing"}); installing pnpm@${PNPM_VERSION} with npm`,
  );
  if (run("npm", ["install", "-g", `pnpm@${PNPM_VERSION}`]) !== 0) {
    log(
      "npm could not install pnpm globally; run it with sudo, or install pnpm 10 yourself",
    );
    process.exit(1);
  }
}

function installAndBuild() {
  if (run("pnpm", ["install", "--frozen-lockfile"]) !== 0) {
    if (run("pnpm", ["install"]) !== 0) process.exit(1);
  }
  if (run("pnpm", ["build"]) !== 0) process.exit(1);
}

function ensureSystemPackages() {
  const canImport = (module) =>
    spawnSync("/usr/bin/python3", ["-c", `import ${module}`], {
      stdio: "ignore",
    }).status === 0;
  const missing = APT_PACKAGES.filter((name) => {
    if (name === "python3-pymodbus") return !canImport("pymodbus");
    if (name === "python3-serial-asyncio") return !canImport("serial_asyncio");
    if (name === "mosquitto-clients") return !has("mosquitto_pub");
    if (name === "mosquitto")
      return !existsSync("/usr/sbin/mosquitto") && !has("mosquitto");
    return !has(name);
  });
  if (missing.length === 0) return;
  if (!has("apt-get")) {
    log(
      `missing system packages: ${missing.join(", ")}; this machine has no apt-get, so install them yourself. The tests that need them will fail.`,
    );
    return;
  }
  const sudo = process.getuid?.() === 0 ? [] : ["sudo"];
  const apt = (args) =>
    sudo.length ? run("sudo", ["apt-get", ...args]) : run("apt-get", args);
  if (
    apt(["update", "-q"]) !== 0 ||
    apt(["install", "-y", "-q", ...missing]) !== 0
  ) {
    log(
      `apt-get could not install ${missing.join(", ")}; the tests that need them will fail`,
    );
  }
}

function main() {
  const mode = process.argv[2];
  ensureNode();
  if (mode === "demo") {
    ensurePnpm();
    installAndBuild();
    const extra = process.argv.slice(3);
    process.exit(
      run(process.execPath, [
        join(root, "apps/runner/dist/cli.js"),
        "demo",
        ...(extra.length ? extra : ["--duration", "15"]),
      ]),
    );
  }
  if (mode === "test") {
    ensurePnpm();
    ensureSystemPackages();
    installAndBuild();
    const extra = process.argv.slice(3);
    process.exit(
      run("pnpm", [
        "exec",
        "nx",
        "run-many",
        "-t",
        "lint",
        "typecheck",
        "test",
        "--parallel=1",
        "--outputStyle=stream",
        "--skipNxCache",
        ...extra,
      ]),
    );
  }
  process.stderr.write("usage: node tools/quickstart.mjs demo|test\n");
  process.exit(2);
}

try {
  main();
} catch (error) {
  log(`failed: ${error.message}`);
  process.exit(1);
}
