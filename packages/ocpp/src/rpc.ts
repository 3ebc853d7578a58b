import { createRequire } from "node:module";
import * as namespace from "ocpp-rpc";
import type { OcppVersion } from "./versions.js";

// ocpp-rpc is CommonJS and Node's ESM loader detects only part of its
// named exports, so the classes are taken from the module object.
const library = ((namespace as unknown as { default?: typeof namespace })
  .default ?? namespace) as typeof namespace;

/** ocpp-rpc's server class (2.2.x). */
export const RPCServer = library.RPCServer;
/** ocpp-rpc's client class (2.2.x). */
export const RPCClient = library.RPCClient;
/** Builds the error that ocpp-rpc sends as a CALLERROR of the given code. */
export const createRPCError = library.createRPCError;

/** One ajv error, as ocpp-rpc's validator reports it. */
export interface AjvError {
  instancePath: string;
  keyword: string;
  message?: string;
  params: Record<string, unknown>;
}

/** The validator object ocpp-rpc builds from a version's schema file. */
export interface SchemaValidator {
  validate(schemaId: string, params: unknown): boolean;
}

const require = createRequire(import.meta.url);
const validators = new Map<OcppVersion, SchemaValidator>();

/**
 * Returns ocpp-rpc's schema validator of a version, built once from the
 * JSON schemas that ship with ocpp-rpc (`lib/schemas/*.json`).
 */
export function schemaValidator(version: OcppVersion): SchemaValidator {
  let validator = validators.get(version);
  if (!validator) {
    const file =
      version === "1.6"
        ? "ocpp-rpc/lib/schemas/ocpp1_6.json"
        : "ocpp-rpc/lib/schemas/ocpp2_0_1.json";
    const subprotocol = version === "1.6" ? "ocpp1.6" : "ocpp2.0.1";
    validator = library.createValidator(
      subprotocol,
      require(file),
    ) as unknown as SchemaValidator;
    validators.set(version, validator);
  }
  return validator;
}

/** An ajv validate function: true when valid, else `errors` lists why. */
export interface CompiledSchema {
  (value: unknown): boolean;
  errors?: AjvError[] | null;
}

/**
 * Returns the compiled ajv function of one schema of a version, or
 * undefined when the schema does not exist or the ajv instance cannot be
 * reached. Calling it directly skips the lookup by schema id that
 * `SchemaValidator.validate` makes on every call. NOTE: it reads the
 * private `_ajv` field of ocpp-rpc 2.2.1's Validator; callers fall back
 * to `validate` when an upgrade removes it.
 */
export function compiledSchema(
  version: OcppVersion,
  schemaId: string,
): CompiledSchema | undefined {
  const ajv = (
    schemaValidator(version) as {
      _ajv?: { getSchema?: (id: string) => CompiledSchema | undefined };
    }
  )._ajv;
  if (typeof ajv?.getSchema !== "function") return undefined;
  return ajv.getSchema(schemaId);
}

/** Returns the actions a version's schemas define, per direction. */
export function schemaActions(version: OcppVersion): Set<string> {
  const file =
    version === "1.6"
      ? "ocpp-rpc/lib/schemas/ocpp1_6.json"
      : "ocpp-rpc/lib/schemas/ocpp2_0_1.json";
  const schemas = require(file) as { $id: string }[];
  const actions = new Set<string>();
  for (const schema of schemas) {
    const match = /^urn:(.+)\.req$/.exec(schema.$id);
    if (match?.[1]) actions.add(match[1]);
  }
  return actions;
}
