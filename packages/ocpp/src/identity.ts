/**
 * Characters allowed in a charge point id: the OCPP 2.0.1
 * `identifierString` set (letters, digits and `* - _ = : + | @ .`).
 * OCPP 1.6 sets no rule; real 1.6 chargers stay within this set.
 */
const IDENTITY_PATTERN = /^[A-Za-z0-9*\-_=:+|@.]+$/;

/** Longest charge point id, in characters (OCPP 2.0.1 allows 48). */
export const MAX_IDENTITY_LENGTH = 48;

/** The charge point id taken from an upgrade request's path. */
export type IdentityResult =
  | { ok: true; identity: string }
  | { ok: false; status: 400 | 404; reason: string };

/**
 * Takes the charge point id from a request path of the form
 * `<basePath>/<id>`: the last segment, URL-decoded once and checked for
 * length and characters. A path outside `basePath` gives 404; a missing,
 * malformed (`%E0%A4%A`), too long or disallowed id gives 400.
 */
export function identityFromPath(
  requestUrl: string,
  basePath: string,
): IdentityResult {
  const path = requestUrl.split("?")[0] ?? "";
  const base = basePath.endsWith("/") ? basePath.slice(0, -1) : basePath;
  if (!path.startsWith(`${base}/`)) {
    return { ok: false, status: 404, reason: `path is not under ${base}/` };
  }
  const segment = path.slice(base.length + 1);
  if (segment === "" || segment.includes("/")) {
    return {
      ok: false,
      status: 400,
      reason: `expected ${base}/<charge point id>, got ${JSON.stringify(path)}`,
    };
  }
  let identity: string;
  try {
    identity = decodeURIComponent(segment);
  } catch {
    return {
      ok: false,
      status: 400,
      reason: `charge point id ${JSON.stringify(segment)} is not valid percent-encoding`,
    };
  }
  return checkIdentity(identity);
}

/** Checks a decoded charge point id for length and characters. */
export function checkIdentity(identity: string): IdentityResult {
  if (identity.length === 0 || identity.length > MAX_IDENTITY_LENGTH) {
    return {
      ok: false,
      status: 400,
      reason: `charge point id must have 1 to ${MAX_IDENTITY_LENGTH} characters, got ${identity.length}`,
    };
  }
  if (!IDENTITY_PATTERN.test(identity)) {
    return {
      ok: false,
      status: 400,
      reason: `charge point id ${JSON.stringify(identity)} has characters outside A-Z a-z 0-9 * - _ = : + | @ .`,
    };
  }
  return { ok: true, identity };
}
