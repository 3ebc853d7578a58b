import {
  type ConversionResult,
  createReading,
  type Diagnostic,
  lookupUnit,
  type ReadingSource,
  type ReadingValue,
  roundConverted,
  type TimeSeries,
} from "@qubit/core";
import { NonFiniteToken } from "../payload/non-finite.js";
import { booleanWord, numericString } from "../payload/plain.js";
import { type JsonPath, pathName, readPath } from "./json-path.js";
import type { FieldDecision, Mapping } from "./mapping.js";
import type { SourceContext } from "./source.js";

/** Input of {@link extractReadings}: the message context and its receive time. */
export interface ExtractInput extends SourceContext {
  receivedAt: number;
  /**
   * Returns the timestamp of a reading of `series` that takes the receive
   * time, so that one series never gets one receive time twice; default
   * the receive time itself.
   */
  stampReceiveTime?: (series: string, receivedAt: number) => number;
  source: ReadingSource;
  retained: boolean;
}

/** Readings of one message, plus its single value for handlers. */
export interface ExtractOutput extends ConversionResult {
  /** The value of a single-value payload (or of the first reading). */
  value: ReadingValue | undefined;
  unit: string | undefined;
}

interface Ids {
  asset_id: string;
  org_id: string | undefined;
  site_id: string | undefined;
  device_id: string | undefined;
}

/**
 * Turns a decoded payload into readings with a mapping. A payload gives
 * one reading when it is a scalar, when the mapping names a value path,
 * or when it is an object with a `value` field. Otherwise every field of
 * the (possibly nested) object becomes a reading, and an array of
 * objects that carry their own timestamp becomes one sample per element.
 * The readings, rejects and value go into `out`, which is returned.
 */
export function extractReadings(
  mapping: Mapping,
  input: ExtractInput,
  out: ExtractOutput = {
    readings: [],
    rejects: [],
    diagnostics: [],
    value: undefined,
    unit: undefined,
  },
): ExtractOutput {
  const payload =
    mapping.root === undefined
      ? input.payload
      : readPath(input.payload, mapping.root);
  const named = namedValue(mapping, payload);
  const ids = resolveIds(mapping, input, out, named);
  if (!ids) return out;

  const resolved = resolveTimestamp(mapping, input, payload, out);
  if (resolved === undefined) return out;
  const fromReceiveTime = resolved === RECEIVE_TIME;
  const timestamp = fromReceiveTime ? input.receivedAt : resolved;
  const emitter = new Emitter(
    mapping,
    input,
    ids,
    out,
    fromReceiveTime,
    named?.metric,
  );

  if (mapping.value !== undefined) {
    const value = readPath(payload, mapping.value);
    if (value === undefined) {
      out.rejects.push(
        reject(
          input,
          "QUBIT_MQTT_VALUE_MISSING",
          `Payload ${shortJson(payload)} has no value at ${mapping.value.length ? `$.${pathName(mapping.value)}` : "$"}`,
          "publish the value at that path, or change the rule's value path",
        ),
      );
      return out;
    }
    emitter.singleWithUnit(value, payload, timestamp);
    return out;
  }
  if (!isObject(payload) && !Array.isArray(payload)) {
    emitter.singleWithUnit(payload, payload, timestamp);
    return out;
  }
  if (isObject(payload) && "value" in payload && isLeafValue(payload.value)) {
    emitter.singleWithUnit(payload.value, payload, timestamp);
    return out;
  }
  if (out.rejects.length > 0) return out;
  emitter.multi(payload, timestamp);
  if (out.readings.length === 0 && out.rejects.length === 0) {
    out.rejects.push(
      reject(
        input,
        "QUBIT_MQTT_VALUE_MISSING",
        `Payload ${shortJson(payload)} contains no value: no number, boolean or text field outside the timestamp and unit`,
        "publish a value field, or add a rule whose value path points at it",
      ),
    );
  }
  return out;
}

class Emitter {
  private readonly baseMetric: string | undefined;
  private readonly prefix: string;
  /**
   * Payload fields the mapping reads as timestamp or unit, not as values.
   * They are looked up on first use, because single-value payloads need
   * none.
   */
  private consumed: ReadonlySet<string> | undefined;
  /** Arrays of samples being walked; their elements carry their own time. */
  private sampleLevels = 0;
  /** Prefix of the fields of a top-level array, set by `multi`. */
  private arrayPrefix = "";

  constructor(
    private readonly mapping: Mapping,
    private readonly input: ExtractInput,
    private readonly ids: Ids,
    private readonly out: ExtractOutput,
    /** True when the message's timestamp is its receive time. */
    private readonly fromReceiveTime: boolean,
    /** Metric that a single-value payload names in its `metric` field. */
    payloadMetric: string | undefined,
  ) {
    const metric = mapping.metric?.read(input);
    this.baseMetric =
      typeof metric === "string" && metric !== ""
        ? metric
        : (payloadMetric ?? input.levels.metric ?? lastLevel(input.topic));
    this.prefix =
      mapping.metricPrefixesFields && typeof metric === "string" && metric
        ? `${metric}.`
        : "";
  }

  /** Emits a single value with the unit the mapping or payload gives. */
  singleWithUnit(raw: unknown, payload: unknown, timestamp: number): void {
    const rejected = this.out.rejects.length;
    const unit = readUnit(this.mapping, this.input, payload, this.out);
    if (this.out.rejects.length === rejected) this.single(raw, unit, timestamp);
  }

  single(raw: unknown, unit: string | undefined, timestamp: number): void {
    const metric = this.baseMetric;
    if (metric === undefined || metric === "") {
      this.out.rejects.push(
        reject(
          this.input,
          "QUBIT_MQTT_FIELD_MISSING",
          `No metric for the value ${shortJson(raw)}: the rule names none and the topic has no {metric} level`,
          "set metric in the rule, or a topic_template with {metric}",
        ),
      );
      return;
    }
    const before = this.out.readings.length;
    this.emit(metric, raw, unit, this.mapping.scale, timestamp, "", true);
    const reading = this.out.readings[before];
    if (reading) {
      this.out.value = reading.value;
      this.out.unit = reading.unit;
    }
  }

  multi(payload: unknown, timestamp: number): void {
    // The elements of a top-level array are named <metric>.0, <metric>.1
    // after the metric a single value would get: the rule's metric, the
    // {metric} level, else the last topic level.
    if (Array.isArray(payload) && this.prefix === "" && this.baseMetric) {
      this.arrayPrefix = `${this.baseMetric}.`;
    }
    this.walk(payload, [], timestamp, true);
    const first = this.out.readings[0];
    if (first) {
      this.out.value = first.value;
      this.out.unit = first.unit;
    }
  }

  private walk(
    node: unknown,
    path: (string | number)[],
    timestamp: number,
    top: boolean,
  ): void {
    if (Array.isArray(node)) {
      const samples =
        node.length > 0 && node.every((item) => this.hasOwnTime(item));
      for (let index = 0; index < node.length; index += 1) {
        const item = node[index];
        if (samples) {
          const time = this.sampleTime(item as Record<string, unknown>, path);
          if (time === undefined) continue;
          this.sampleLevels += 1;
          this.walk(item, path, time, true);
          this.sampleLevels -= 1;
        } else this.walk(item, [...path, index], timestamp, false);
      }
      return;
    }
    if (
      isObject(node) &&
      !("value" in node && isLeafValue(node.value) && path.length > 0)
    ) {
      for (const key of Object.keys(node)) {
        if (top && (this.mapping.timestampKeys.includes(key) || key === "unit"))
          continue;
        this.walk(node[key], [...path, key], timestamp, false);
      }
      return;
    }
    if (path.length === 0) return;
    const name = pathName(path);
    this.consumed ??= consumedFields(this.mapping);
    if (this.consumed.has(name)) return;
    const decision: FieldDecision | undefined = this.mapping.field(
      name,
      String(path[path.length - 1]),
    );
    if (!decision) return;
    let raw = node;
    let unit = decision.unit;
    if (isObject(node)) {
      raw = node.value;
      if (unit === undefined && typeof node.unit === "string") unit = node.unit;
    }
    // A null field of a multi-value payload means "not measured now".
    if (raw === null) return;
    const prefix =
      typeof path[0] === "number" && decision.metric === name
        ? this.arrayPrefix
        : this.prefix;
    this.emit(
      prefix + decision.metric,
      raw,
      unit,
      decision.scale ?? this.mapping.scale,
      timestamp,
      name,
      false,
    );
  }

  private hasOwnTime(item: unknown): boolean {
    return (
      isObject(item) &&
      this.mapping.timestampKeys.some((key) => item[key] !== undefined)
    );
  }

  private sampleTime(
    item: Record<string, unknown>,
    path: (string | number)[],
  ): number | undefined {
    const key = this.mapping.timestampKeys.find(
      (name) => item[name] !== undefined,
    )!;
    return parseTime(this.mapping, this.input, item[key], this.out, [
      ...path,
      key,
    ]);
  }

  private emit(
    metric: string,
    raw: unknown,
    unit: string | undefined,
    scale: number | undefined,
    timestamp: number,
    field: string,
    single: boolean,
  ): void {
    const value = this.toValue(raw, unit, field, single);
    if (value === undefined) return;
    const scaled =
      typeof value === "number" && scale !== undefined && scale !== 1
        ? roundConverted(value * scale)
        : value;
    const time =
      this.fromReceiveTime &&
      this.sampleLevels === 0 &&
      this.input.stampReceiveTime !== undefined
        ? this.input.stampReceiveTime(this.seriesKey(metric), timestamp)
        : timestamp;
    const reading: TimeSeries = createReading({
      asset_id: this.ids.asset_id,
      metric,
      value: scaled,
      unit: typeof scaled === "number" ? unit : "",
      timestamp: time,
      org_id: this.ids.org_id,
      site_id: this.ids.site_id,
      device_id: this.ids.device_id,
      quality: scaled === null ? "missing" : "measured",
      source: this.input.source,
      metadata: this.metadata(),
    });
    const readings = this.out.readings;
    // Most messages give one reading. A one-element array takes less
    // memory than the first push into an empty one, which makes room for
    // 16 in V8.
    if (readings.length === 0) this.out.readings = [reading];
    else readings.push(reading);
  }

  /** Returns the key of a series: the fields of a reading id but the time. */
  private seriesKey(metric: string): string {
    const ids = this.ids;
    return `${ids.org_id ?? ""}\u001f${ids.site_id ?? ""}\u001f${ids.asset_id}\u001f${ids.device_id ?? ""}\u001f${metric}`;
  }

  private metadata(): Record<string, unknown> | undefined {
    const constant = this.mapping.metadata;
    if (!this.input.retained) return constant ? { ...constant } : undefined;
    return { ...constant, retained: true };
  }

  private toValue(
    raw: unknown,
    unit: string | undefined,
    field: string,
    single: boolean,
  ): ReadingValue | undefined {
    if (typeof raw === "number") {
      if (Number.isFinite(raw)) return raw;
      this.nonFinite(String(raw), field, undefined);
      return undefined;
    }
    if (typeof raw === "boolean") return this.flag(raw, raw, unit, field);
    if (raw instanceof NonFiniteToken) {
      this.nonFinite(raw.token, field, raw.offset);
      return undefined;
    }
    if (raw === null) return single ? null : undefined;
    if (typeof raw === "string") {
      const number = numericString(raw);
      if (number !== undefined && !Number.isFinite(number)) {
        this.nonFinite(raw.trim(), field, undefined);
        return undefined;
      }
      if (number !== undefined) return number;
      const flag = booleanWord(raw);
      if (flag !== undefined) return this.flag(raw, flag, unit, field);
      if (unit === undefined || unit === "") return raw;
      this.wrongType(raw, `a number (the unit is ${unit})`, field, UNIT_FIX);
      return undefined;
    }
    this.wrongType(raw, "a number, boolean or text", field);
    return undefined;
  }

  /**
   * Returns a boolean, or rejects it when its unit is a physical quantity
   * (kW, V): a state such as true or "on" is not a measurement in that unit.
   */
  private flag(
    raw: unknown,
    value: boolean,
    unit: string | undefined,
    field: string,
  ): boolean | undefined {
    if (!isQuantityUnit(unit)) return value;
    this.wrongType(raw, `a number (the unit is ${unit})`, field, UNIT_FIX);
    return undefined;
  }

  private nonFinite(token: string, field: string, offset: number | undefined) {
    const where = field ? `Field ${field}` : "Value";
    // A decimal number that is not finite overflowed a 64-bit float.
    const overflow = /\d/.test(token);
    const diagnostic = overflow
      ? reject(
          this.input,
          "QUBIT_MQTT_VALUE_NOT_FINITE",
          `${where} ${token} on topic ${this.input.topic} is too large for a 64-bit float (maximum about 1.8e308)`,
          "check the device's number encoding, or publish the value in a larger unit. The other fields of the message are kept",
        )
      : reject(
          this.input,
          "QUBIT_MQTT_VALUE_NOT_FINITE",
          `${where} on topic ${this.input.topic} is ${token}, not a finite number; the device reports a failed measurement`,
          "nothing to fix in the config; check the sensor. The other fields of the message are kept",
        );
    diagnostic.value = token;
    diagnostic.location = {
      ...diagnostic.location,
      ...(field ? { field } : {}),
      ...(offset !== undefined ? { offset } : {}),
    };
    this.out.rejects.push(diagnostic);
  }

  private wrongType(
    raw: unknown,
    expected: string,
    field: string,
    fix = "publish a scalar value, or point the rule's value path at one",
  ): void {
    const diagnostic = reject(
      this.input,
      "QUBIT_MQTT_VALUE_TYPE",
      `${field ? `Field ${field}` : "Value"} on topic ${this.input.topic} must be ${expected}, got ${describe(raw)}`,
      fix,
    );
    diagnostic.value = raw;
    if (field) diagnostic.location = { ...diagnostic.location, field };
    this.out.rejects.push(diagnostic);
  }
}

const UNIT_FIX =
  "publish a number for a value with a unit, and a state (on/off, text) without a unit";

// Dimensions whose values may be booleans or text, as in the core
// pipeline's plausibility check.
const NON_QUANTITY = new Set(["boolean", "dimensionless", "count"]);

/**
 * Returns true for a unit that needs a number: any non-empty unit but
 * those the unit table lists as boolean, dimensionless or count.
 */
function isQuantityUnit(unit: string | undefined): unit is string {
  if (unit === undefined || unit === "") return false;
  const definition = lookupUnit(unit);
  return !definition || !NON_QUANTITY.has(definition.dimension);
}

const consumedCache = new WeakMap<Mapping, ReadonlySet<string>>();

/** Returns the payload fields a mapping reads as timestamp or unit. */
function consumedFields(mapping: Mapping): ReadonlySet<string> {
  let fields = consumedCache.get(mapping);
  if (!fields) {
    fields = new Set(
      [mapping.timestamp, mapping.unit]
        .filter((source) => source?.fromPayload)
        .map((source) => source!.source.replace(/^\$\.?/, "")),
    );
    consumedCache.set(mapping, fields);
  }
  return fields;
}

/** Names that a single-value JSON object gives itself. */
interface NamedValue {
  metric: string | undefined;
  asset_id: string | undefined;
  device_id: string | undefined;
}

/**
 * Returns the non-empty string `metric`, `asset_id` and `device_id`
 * fields of an object with a `value` field, as in
 * `{"metric": "voltage", "value": 231}`. They name the reading in place
 * of the topic levels, because several metrics often share one topic
 * such as `.../telemetry`. A field that the mapping sets itself (a rule
 * or preset) is not read, and neither are the fields when the mapping
 * has a value path.
 */
function namedValue(
  mapping: Mapping,
  payload: unknown,
): NamedValue | undefined {
  if (mapping.value !== undefined) return undefined;
  if (!isObject(payload) || !isLeafValue(payload.value)) return undefined;
  const named: NamedValue = {
    metric: mapping.metric ? undefined : nonEmptyText(payload.metric),
    asset_id: mapping.asset_id ? undefined : nonEmptyText(payload.asset_id),
    device_id: mapping.device_id ? undefined : nonEmptyText(payload.device_id),
  };
  if (named.metric ?? named.asset_id ?? named.device_id) return named;
  return undefined;
}

function nonEmptyText(value: unknown): string | undefined {
  return typeof value === "string" && value !== "" ? value : undefined;
}

function resolveIds(
  mapping: Mapping,
  input: ExtractInput,
  out: ExtractOutput,
  named: NamedValue | undefined,
): Ids | undefined {
  const asset =
    text(mapping.asset_id?.read(input)) ??
    named?.asset_id ??
    input.levels.asset_id;
  if (asset === undefined || asset === "") {
    out.rejects.push(
      reject(
        input,
        "QUBIT_MQTT_FIELD_MISSING",
        mapping.asset_id
          ? `No asset id: ${mapping.asset_id.source} gives nothing for payload ${shortJson(input.payload)}`
          : `No asset id for payload ${shortJson(input.payload)}: the topic has no {asset_id} level and the rule sets no asset_id`,
        "set asset_id in the rule, or a topic_template with {asset_id}",
      ),
    );
    return undefined;
  }
  return {
    asset_id: asset,
    org_id: nonEmpty(text(mapping.org_id?.read(input)) ?? input.levels.org_id),
    site_id: nonEmpty(
      text(mapping.site_id?.read(input)) ?? input.levels.site_id,
    ),
    device_id: nonEmpty(
      text(mapping.device_id?.read(input)) ??
        named?.device_id ??
        input.levels.device_id,
    ),
  };
}

/** Marker that resolveTimestamp returns when the payload carries no time. */
const RECEIVE_TIME = "receive time";

function resolveTimestamp(
  mapping: Mapping,
  input: ExtractInput,
  payload: unknown,
  out: ExtractOutput,
): number | typeof RECEIVE_TIME | undefined {
  if (mapping.timestamp) {
    const raw = mapping.timestamp.read(input);
    if (raw === undefined || raw === null || raw === "") return RECEIVE_TIME;
    return parseTime(mapping, input, raw, out, [mapping.timestamp.source]);
  }
  if (!isObject(payload)) return RECEIVE_TIME;
  for (const key of mapping.timestampKeys) {
    const raw = payload[key];
    if (raw !== undefined && raw !== null)
      return parseTime(mapping, input, raw, out, [key]);
  }
  return RECEIVE_TIME;
}

function parseTime(
  mapping: Mapping,
  input: ExtractInput,
  raw: unknown,
  out: ExtractOutput,
  path: JsonPath,
): number | undefined {
  if (raw instanceof Date && Number.isFinite(raw.getTime()))
    return raw.getTime();
  if (typeof raw === "string" || typeof raw === "number") {
    try {
      return mapping.parseTimestamp(raw);
    } catch (error) {
      const diagnostic = reject(
        input,
        "QUBIT_MQTT_TIMESTAMP_INVALID",
        `Timestamp ${pathName(path)} ${JSON.stringify(raw)} on topic ${input.topic} cannot be read: ${(error as Error).message}`,
        "set timestamp_format (and timezone) in the rule to the device's format",
      );
      diagnostic.value = raw;
      diagnostic.location = { ...diagnostic.location, field: pathName(path) };
      out.rejects.push(diagnostic);
      return undefined;
    }
  }
  const diagnostic = reject(
    input,
    "QUBIT_MQTT_TIMESTAMP_INVALID",
    `Timestamp ${pathName(path)} on topic ${input.topic} must be an ISO 8601 text or an epoch number, got ${describe(raw)}`,
    "publish the timestamp as ISO 8601 text or epoch seconds/milliseconds",
  );
  diagnostic.value = raw;
  out.rejects.push(diagnostic);
  return undefined;
}

function readUnit(
  mapping: Mapping,
  input: ExtractInput,
  payload: unknown,
  out: ExtractOutput,
): string | undefined {
  const raw = mapping.unit
    ? mapping.unit.read(input)
    : isObject(payload)
      ? payload.unit
      : undefined;
  if (raw === undefined || raw === null) return undefined;
  if (typeof raw === "string") return raw;
  const diagnostic = reject(
    input,
    "QUBIT_MQTT_VALUE_TYPE",
    `Unit on topic ${input.topic} must be text such as "kW", got ${describe(raw)}`,
    "publish the unit as a string, or set unit in the rule",
  );
  diagnostic.value = raw;
  out.rejects.push(diagnostic);
  return undefined;
}

/**
 * Builds a reject located at the message's topic. A message that does
 * not name the topic gets it appended, so that the dead letter's reason
 * reads on its own.
 */
export function reject(
  input: { topic: string },
  code: string,
  message: string,
  fix: string,
): Diagnostic {
  const text = message.includes(input.topic)
    ? message
    : `${message} (topic ${input.topic})`;
  return { code, message: text, fix, location: { topic: input.topic } };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return (
    value !== null &&
    typeof value === "object" &&
    !Array.isArray(value) &&
    !(value instanceof NonFiniteToken) &&
    !(value instanceof Date)
  );
}

// A `value` key makes an object one reading, whatever the value's type:
// a wrong type is then reported instead of flattened.
function isLeafValue(value: unknown): boolean {
  return value !== undefined;
}

function lastLevel(topic: string): string | undefined {
  const index = topic.lastIndexOf("/");
  return index < 0 ? topic : topic.slice(index + 1);
}

function text(value: unknown): string | undefined {
  if (typeof value === "string") return value;
  if (typeof value === "number" && Number.isFinite(value)) return String(value);
  return undefined;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === "" ? undefined : value;
}

/** Returns a value as JSON of at most 60 characters, for messages. */
function shortJson(value: unknown): string {
  if (value instanceof NonFiniteToken) return value.token;
  let shown: string;
  try {
    shown = JSON.stringify(value) ?? String(value);
  } catch {
    // A cycle, a BigInt or a value nested beyond the stack.
    shown = `(${typeof value} that JSON cannot show)`;
  }
  return shown.length > 60 ? `${shown.slice(0, 59)}…` : shown;
}

function describe(value: unknown): string {
  if (value instanceof NonFiniteToken) return value.token;
  const shown = shortJson(value);
  const kind = Array.isArray(value)
    ? "a list"
    : value === null
      ? "null"
      : typeof value === "object"
        ? "an object"
        : `a ${typeof value}`;
  return `${kind} ${shown}`;
}
