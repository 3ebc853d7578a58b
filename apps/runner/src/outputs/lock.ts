import { open, readFile, unlink } from "node:fs/promises";
import { join } from "node:path";
import { BufferError } from "./errors.js";

/** A held lock on a folder. */
export interface Lock {
  release(): Promise<void>;
}

const LOCK_FILE = "LOCK";

/** Folders locked by this process, which the LOCK file's pid cannot tell apart. */
const lockedHere = new Set<string>();

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to another user.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

function lockedError(directory: string, owner: string): BufferError {
  return new BufferError(
    "QUBIT_RUNNER_OUTPUT_BUFFER_LOCKED",
    `Disk buffer folder ${directory} is in use by ${owner}`,
    {
      location: { address: directory },
      fix: "give each output and each running process its own buffer.path (or data_dir)",
    },
  );
}

/**
 * Takes the lock of a folder: a LOCK file holding the pid of the owner.
 * A LOCK file left by a process that is no longer running (a crash or a
 * kill) is taken over.
 *
 * NOTE: a new process that got the pid of a crashed owner keeps the lock
 * held until the file is deleted. The error names the file to delete.
 */
export async function acquireLock(directory: string): Promise<Lock> {
  if (lockedHere.has(directory))
    throw lockedError(directory, "another output of this process");
  const path = join(directory, LOCK_FILE);
  for (let attempt = 0; attempt < 2; attempt += 1) {
    try {
      const handle = await open(path, "wx");
      await handle.writeFile(String(process.pid));
      await handle.close();
      lockedHere.add(directory);
      return {
        async release() {
          lockedHere.delete(directory);
          await unlink(path).catch(() => undefined);
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    const owner = Number((await readFile(path, "utf8").catch(() => "")).trim());
    // This process's own pid in the file, without an entry in lockedHere,
    // is a lock that an earlier queue of this process did not release.
    const ownerRunning =
      Number.isInteger(owner) &&
      owner > 0 &&
      owner !== process.pid &&
      isRunning(owner);
    if (ownerRunning) {
      throw lockedError(
        directory,
        `process ${owner} (delete ${path} if that process is not a Qubit runner)`,
      );
    }
    await unlink(path).catch(() => undefined);
  }
  throw lockedError(directory, "another process that took it at the same time");
}
