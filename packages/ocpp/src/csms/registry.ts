import {
  createHash,
  randomBytes,
  type ScryptOptions,
  scrypt,
  timingSafeEqual,
} from "node:crypto";
import type { ChargePointEntry } from "../config.js";

/** scrypt cost parameters of new hashes (N, r, p); about 50 ms on one core. */
const SCRYPT_COST = { N: 16_384, r: 8, p: 1 } as const;
const KEY_LENGTH = 32;

function scryptAsync(
  password: Buffer,
  salt: Buffer,
  options: ScryptOptions,
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password, salt, KEY_LENGTH, options, (error, key) =>
      error ? reject(error) : resolve(key),
    );
  });
}

/**
 * Hashes a charge point password for the registry:
 * `scrypt$N$r$p$<salt base64>$<hash base64>`.
 */
export async function hashPassword(password: string | Buffer): Promise<string> {
  const salt = randomBytes(16);
  const key = await scryptAsync(Buffer.from(password), salt, {
    ...SCRYPT_COST,
    maxmem: 64 * 1024 * 1024,
  });
  const { N, r, p } = SCRYPT_COST;
  return `scrypt$${N}$${r}$${p}$${salt.toString("base64")}$${key.toString("base64")}`;
}

/**
 * Checks a password against a hash from {@link hashPassword}, comparing in
 * constant time. Returns false for a malformed hash.
 */
export async function verifyPassword(
  password: Buffer,
  encoded: string,
): Promise<boolean> {
  const parts = encoded.split("$");
  if (parts.length !== 6 || parts[0] !== "scrypt") return false;
  const [, n, r, p, saltText, hashText] = parts;
  const expected = Buffer.from(hashText ?? "", "base64");
  if (expected.length === 0) return false;
  const key = await scryptAsync(
    password,
    Buffer.from(saltText ?? "", "base64"),
    {
      N: Number(n),
      r: Number(r),
      p: Number(p),
      maxmem: 256 * 1024 * 1024,
    },
  ).catch(() => undefined);
  if (!key || key.length !== expected.length) return false;
  return timingSafeEqual(key, expected);
}

function digest(value: Buffer): Buffer {
  return createHash("sha256").update(value).digest();
}

/** Outcome of {@link ChargePointRegistry.authenticate}. */
export type AuthOutcome =
  | { ok: true; registration: "Accepted" | "Pending"; known: boolean }
  | { ok: false; status: 401 | 404; reason: string };

/**
 * The charge points a central system (or proxy) accepts, with their
 * passwords. Passwords are checked against scrypt hashes (or plain
 * config passwords through SHA-256 digests) in constant time. A verified
 * password is remembered as a SHA-256 digest, so a charger that
 * reconnects costs one hash instead of one scrypt run.
 */
export class ChargePointRegistry {
  private readonly entries: Readonly<Record<string, ChargePointEntry>>;
  private readonly unknown: "accept" | "pending" | "reject";
  private readonly verified = new Map<string, Buffer>();

  constructor(
    entries: Readonly<Record<string, ChargePointEntry>>,
    unknown: "accept" | "pending" | "reject",
  ) {
    this.entries = entries;
    this.unknown = unknown;
  }

  /** Returns a charge point's entry. */
  entry(identity: string): ChargePointEntry | undefined {
    return Object.hasOwn(this.entries, identity)
      ? this.entries[identity]
      : undefined;
  }

  /** Returns the registration status for a BootNotification. */
  registration(identity: string): "Accepted" | "Pending" {
    return this.entry(identity) || this.unknown !== "pending"
      ? "Accepted"
      : "Pending";
  }

  /**
   * Decides whether a charge point may connect. With `passwordRequired`
   * (security profiles 1 and 2) a known charger must send the password of
   * its entry; unknown chargers are then always refused, because there is
   * nothing to check their password against.
   */
  async authenticate(
    identity: string,
    password: Buffer | undefined,
    passwordRequired: boolean,
  ): Promise<AuthOutcome> {
    const entry = this.entry(identity);
    if (!entry) {
      if (passwordRequired) {
        return {
          ok: false,
          status: 401,
          reason: `charge point ${identity} is not registered`,
        };
      }
      if (this.unknown === "reject") {
        return {
          ok: false,
          status: 404,
          reason: `charge point ${identity} is not registered`,
        };
      }
      return {
        ok: true,
        registration: this.unknown === "pending" ? "Pending" : "Accepted",
        known: false,
      };
    }
    if (!passwordRequired)
      return { ok: true, registration: "Accepted", known: true };
    if (!password || password.length === 0) {
      return { ok: false, status: 401, reason: "basic auth password missing" };
    }
    if (await this.check(identity, entry, password)) {
      return { ok: true, registration: "Accepted", known: true };
    }
    return { ok: false, status: 401, reason: "wrong password" };
  }

  private async check(
    identity: string,
    entry: ChargePointEntry,
    password: Buffer,
  ): Promise<boolean> {
    const given = digest(password);
    const remembered = this.verified.get(identity);
    if (remembered && timingSafeEqual(remembered, given)) return true;
    let ok = false;
    if (entry.password_hash !== undefined) {
      ok = await verifyPassword(password, entry.password_hash);
    } else if (entry.password !== undefined) {
      ok = timingSafeEqual(digest(Buffer.from(entry.password)), given);
    }
    if (ok) this.verified.set(identity, given);
    return ok;
  }
}
