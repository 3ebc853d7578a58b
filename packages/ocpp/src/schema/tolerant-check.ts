import {
  type CallErrorCode,
  type CallFault,
  callErrorCode,
} from "../errors.js";
import {
  type AjvError,
  compiledSchema,
  schemaActions,
  schemaValidator,
} from "../rpc.js";
import type { OcppVersion } from "../versions.js";
import { getAt, parentOf, removeAt, setAt } from "./json-pointer.js";

/** A schema deviation that was read without guessing and accepted. */
export interface Deviation {
  /** JSON pointer into the payload, such as `/meterValue/0/timestamp`. */
  path: string;
  kind:
    | "number_as_string"
    | "string_as_number"
    | "extra_property"
    | "zone_missing"
    | "enum_case"
    | "meter_enum"
    | "empty_list"
    | "too_long";
  /** What was received, cut to a readable length. */
  detail: string;
}

/** A schema violation that cannot be read without guessing. */
export interface Violation {
  path: string;
  keyword: string;
  message: string;
  rpcErrorCode: CallErrorCode;
}

/** Result of {@link checkPayload}. */
export type SchemaCheck =
  | { ok: true; deviations: Deviation[] }
  | { ok: false; deviations: Deviation[]; violation: Violation };

// Sampled-value fields whose enums grow with errata and vendor practice
// ("Hertz", "Current.import"): an unknown entry still leaves a readable
// number, which the converter flags.
const METER_ENUM_FIELDS = new Set([
  "unit",
  "measurand",
  "phase",
  "location",
  "context",
  "format",
]);

const ZONELESS_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/;
const NUMERIC_TEXT = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const MAX_REPAIRS = 200;

const cache = new Map<OcppVersion, Set<string>>();

/** Returns whether a version's schemas define a CALL action. */
export function isKnownAction(version: OcppVersion, action: string): boolean {
  let actions = cache.get(version);
  if (!actions) {
    actions = schemaActions(version);
    cache.set(version, actions);
  }
  return actions.has(action);
}

/**
 * Checks a CALL payload (`req`) or a CALLRESULT payload (`conf`) against
 * the version's OCPP JSON schema, tolerating what real chargers get wrong
 * but can still be read without guessing: numbers where strings are
 * required and the reverse, extra fields, date-times without a zone,
 * enum values in the wrong case, sampled-value enums that errata or
 * vendors extended, empty lists and strings over their length limit.
 * Each is returned as a deviation. The first other fault is returned as a
 * violation with the CALLERROR code to send. The payload itself is not
 * changed; repairs are made on a copy only to keep checking.
 */
export function checkPayload(
  version: OcppVersion,
  action: string,
  direction: "req" | "conf",
  payload: unknown,
): SchemaCheck {
  const findError = errorFinder(version, action, direction);
  const first = findError(payload);
  if (!first) return { ok: true, deviations: [] };

  const deviations: Deviation[] = [];
  const copy = structuredClone(payload) as unknown;
  let error: AjvError | undefined = first;
  let repairs = 0;
  while (error && repairs < MAX_REPAIRS) {
    const deviation = repair(copy, error);
    if (!deviation) {
      return {
        ok: false,
        deviations,
        violation: toViolation(error, version),
      };
    }
    if (deviation !== "stop") deviations.push(deviation);
    if (deviation === "stop") return { ok: true, deviations };
    repairs += 1;
    error = findError(copy);
  }
  if (error) {
    return { ok: false, deviations, violation: toViolation(error, version) };
  }
  return { ok: true, deviations };
}

type ErrorFinder = (payload: unknown) => AjvError | undefined;

const finders: Record<
  OcppVersion,
  Map<string, { req?: ErrorFinder; conf?: ErrorFinder }>
> = { "1.6": new Map(), "2.0.1": new Map() };

/** Returns the function that finds the first schema error of one message. */
function errorFinder(
  version: OcppVersion,
  action: string,
  direction: "req" | "conf",
): ErrorFinder {
  // Only the actions of the schema file are cached, so that a caller
  // passing arbitrary names cannot grow the cache.
  if (!isKnownAction(version, action)) {
    return buildErrorFinder(version, `urn:${action}.${direction}`);
  }
  let byDirection = finders[version].get(action);
  if (!byDirection) {
    byDirection = {};
    finders[version].set(action, byDirection);
  }
  let finder = byDirection[direction];
  if (!finder) {
    finder = buildErrorFinder(version, `urn:${action}.${direction}`);
    byDirection[direction] = finder;
  }
  return finder;
}

function buildErrorFinder(version: OcppVersion, schemaId: string): ErrorFinder {
  const compiled = compiledSchema(version, schemaId);
  if (compiled) {
    // Same outcome as ocpp-rpc's validate: invalid only with an error.
    return (payload) => (compiled(payload) ? undefined : compiled.errors?.[0]);
  }
  const validator = schemaValidator(version);
  return (payload) => firstError(validator, schemaId, payload);
}

function firstError(
  validator: { validate(schemaId: string, params: unknown): boolean },
  schemaId: string,
  payload: unknown,
): AjvError | undefined {
  try {
    validator.validate(schemaId, payload);
    return undefined;
  } catch (error) {
    const details = (error as { details?: { errors?: AjvError[] } }).details;
    const first = details?.errors?.[0];
    if (first) return first;
    return {
      instancePath: "",
      keyword: "schema",
      message: (error as Error).message,
      params: {},
    };
  }
}

/**
 * Repairs one error on the copy. Returns the deviation, `"stop"` when the
 * rest of the payload cannot be checked but nothing is lost, or
 * `undefined` when the error is a real violation.
 */
function repair(
  copy: unknown,
  error: AjvError,
): Deviation | "stop" | undefined {
  const path = error.instancePath;
  const value = getAt(copy, path);
  switch (error.keyword) {
    case "type":
      return repairType(copy, path, value, String(error.params.type));
    case "additionalProperties": {
      const name = String(error.params.additionalProperty);
      const propertyPath = `${path}/${name.replace(/~/g, "~0").replace(/\//g, "~1")}`;
      removeAt(copy, propertyPath);
      return { path: propertyPath, kind: "extra_property", detail: name };
    }
    case "format":
      if (
        error.params.format === "date-time" &&
        typeof value === "string" &&
        ZONELESS_DATE_TIME.test(value)
      ) {
        setAt(copy, path, `${value}${value.length === 16 ? ":00" : ""}Z`);
        return { path, kind: "zone_missing", detail: value };
      }
      return undefined;
    case "enum":
      return repairEnum(copy, path, value, error.params.allowedValues);
    case "minItems":
      if (Array.isArray(value) && value.length === 0) {
        const parent = parentOf(path);
        if (parent && Array.isArray(getAt(copy, parent.path))) {
          removeAt(copy, parent.path);
          return { path, kind: "empty_list", detail: "[]" };
        }
        return "stop";
      }
      return undefined;
    case "maxLength":
      if (typeof value === "string") {
        const limit = Number(error.params.limit);
        setAt(copy, path, value.slice(0, limit));
        return { path, kind: "too_long", detail: `${value.length} > ${limit}` };
      }
      return undefined;
    default:
      return undefined;
  }
}

function repairType(
  copy: unknown,
  path: string,
  value: unknown,
  expected: string,
): Deviation | undefined {
  if (expected === "string" && typeof value === "number") {
    setAt(copy, path, String(value));
    return { path, kind: "number_as_string", detail: String(value) };
  }
  if (
    (expected === "number" || expected === "integer") &&
    typeof value === "string" &&
    NUMERIC_TEXT.test(value.trim())
  ) {
    const number = Number(value);
    if (expected === "integer" && !Number.isInteger(number)) return undefined;
    setAt(copy, path, number);
    return { path, kind: "string_as_number", detail: JSON.stringify(value) };
  }
  return undefined;
}

function repairEnum(
  copy: unknown,
  path: string,
  value: unknown,
  allowed: unknown,
): Deviation | undefined {
  if (typeof value !== "string" || !Array.isArray(allowed)) return undefined;
  const lower = value.toLowerCase();
  const match = allowed.find(
    (candidate) =>
      typeof candidate === "string" && candidate.toLowerCase() === lower,
  );
  if (typeof match === "string") {
    setAt(copy, path, match);
    return { path, kind: "enum_case", detail: value };
  }
  const field = path.slice(path.lastIndexOf("/") + 1);
  if (path.includes("/sampledValue/") && METER_ENUM_FIELDS.has(field)) {
    setAt(copy, path, allowed[0]);
    return { path, kind: "meter_enum", detail: value };
  }
  if (path.endsWith("/unitOfMeasure/unit")) {
    setAt(copy, path, allowed[0]);
    return { path, kind: "meter_enum", detail: value };
  }
  return undefined;
}

const FAULT_OF_KEYWORD: Record<string, CallFault> = {
  type: "type",
  required: "occurrence",
  minItems: "occurrence",
  maxItems: "occurrence",
  additionalItems: "occurrence",
  minProperties: "occurrence",
  maxProperties: "occurrence",
  enum: "format",
  format: "format",
  const: "format",
  pattern: "property",
  minimum: "property",
  maximum: "property",
  exclusiveMinimum: "property",
  exclusiveMaximum: "property",
  multipleOf: "property",
  maxLength: "property",
  minLength: "property",
};

function toViolation(error: AjvError, version: OcppVersion): Violation {
  const fault = FAULT_OF_KEYWORD[error.keyword] ?? "format";
  const where = error.instancePath === "" ? "payload" : error.instancePath;
  const detail =
    error.keyword === "required"
      ? `required field "${String(error.params.missingProperty)}" is missing`
      : (error.message ?? error.keyword);
  return {
    path: error.instancePath,
    keyword: error.keyword,
    message: `${where}: ${detail}`,
    rpcErrorCode: callErrorCode(fault, version),
  };
}

/** Describes deviations in one line, for logs and reading metadata. */
export function describeDeviations(deviations: readonly Deviation[]): string[] {
  return deviations.map(
    (deviation) =>
      `${deviation.kind} at ${deviation.path || "/"} (${deviation.detail})`,
  );
}
