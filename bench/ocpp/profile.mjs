// CPU profiling of a benchmark server during the traffic phase only, so
// that startup, module loading and the connect storm stay out of the
// profile. index.mjs sends `profile-start` before the traffic and
// `profile-stop` after it when BENCH_PROFILE_DIR is set.
import { writeFileSync } from "node:fs";
import { Session } from "node:inspector/promises";

let session;

/**
 * Handles the profiling commands of the benchmark driver. Returns true
 * when the message was one of them.
 */
export async function handleProfileCommand(message) {
  if (message.cmd === "profile-start") {
    session = new Session();
    session.connect();
    await session.post("Profiler.enable");
    await session.post("Profiler.setSamplingInterval", { interval: 500 });
    await session.post("Profiler.start");
    process.send?.({ profiling: true });
    return true;
  }
  if (message.cmd === "profile-stop") {
    const { profile } = await session.post("Profiler.stop");
    session.disconnect();
    session = undefined;
    writeFileSync(message.file, JSON.stringify(profile));
    process.send?.({ profiled: message.file });
    return true;
  }
  return false;
}
