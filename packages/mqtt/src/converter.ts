import { type Diagnostic, type ReadingSource, sharedSource } from "@qubit/core";
import type { MqttConfig, PayloadFormat } from "./config.js";
import {
  type ExtractOutput,
  extractReadings,
  reject,
} from "./mapping/extract.js";
import type { Mapping, Route } from "./mapping/mapping.js";
import { compileRule, templateRoute } from "./mapping/rules.js";
import { readMsgpack } from "./payload/binary.js";
import {
  deepJsonOffset,
  isNestedDeeper,
  MAX_NESTING_DEPTH,
} from "./payload/depth.js";
import { readJson } from "./payload/json.js";
import { readPlain, UnreadableNumber } from "./payload/plain.js";
import { presetRoutes } from "./presets/index.js";

/** One received MQTT message, before conversion. */
export interface RawMessage {
  topic: string;
  payload: Uint8Array;
  receivedAt: number;
  qos: 0 | 1 | 2;
  retained: boolean;
  /** MQTT 5 user properties (the last value of a repeated name). */
  userProperties?: Record<string, string> | undefined;
  /** MQTT 5 content type. */
  contentType?: string | undefined;
}

/** The result of converting one message, with the decoded payload for handlers. */
export interface Conversion extends ExtractOutput {
  /** The decoded payload; `undefined` when decoding failed. */
  payload: unknown;
  /** Name of the route that matched, such as `rules[0]`. */
  route: string | undefined;
  /** True when the route skips this topic on purpose. */
  skipped: boolean;
}

const utf8 = new TextDecoder("utf-8", { fatal: true });
const NO_PROPERTIES: Record<string, string> = Object.freeze({});
const NO_LEVELS: Record<string, string> = Object.freeze({});
/** The result of decode for a payload it rejected. */
const NOT_DECODED: unique symbol = Symbol("not decoded");

/** Maximum number of topics whose plan is kept; one more clears them all. */
const MAX_PLANNED_TOPICS = 10_000;

/** Series whose last receive time is kept; see {@link MqttConverter.stampReceiveTime}. */
const MAX_CLOCKED_SERIES = 100_000;

/**
 * The facts the converter works out from a topic alone: the route, the
 * wildcard levels, the template fields and the route's topic check. A
 * device publishes on the same topics again and again, so they are kept
 * per topic. The messages of the topic share these objects and only
 * read them.
 */
interface TopicPlan {
  route: Route;
  wildcards: string[];
  /** Template fields; `undefined` when the topic does not fit the template. */
  levels: Record<string, string> | undefined;
  /**
   * The outcome of the route's topic check: "skip", "pass", or
   * `undefined` to run the check for each message (it rejects the topic
   * with a diagnostic, which is built anew each time).
   */
  check: "skip" | "pass" | undefined;
  /** Source of the topic's readings, made on first use. */
  source: ReadingSource | undefined;
}

/**
 * Turns MQTT messages into readings: finds the first route (rules, then
 * presets, then the topic template) whose filter matches the topic,
 * decodes the payload in the route's format and maps it.
 */
export class MqttConverter {
  readonly routes: readonly Route[];
  private readonly maxPayloadBytes: number;
  private readonly strictJson: boolean;
  private readonly defaultRetained: "take" | "skip";
  private readonly plans = new Map<string, TopicPlan | null>();
  /** Last receive time given to a reading, per series key. */
  private readonly receiveTimes = new Map<string, number>();
  private readonly stampReceiveTimeBound = (
    series: string,
    receivedAt: number,
  ): number => this.stampReceiveTime(series, receivedAt);

  constructor(config: MqttConfig) {
    this.routes = [
      ...(config.rules ?? []).map((rule, index) =>
        compileRule(rule, index, config),
      ),
      ...presetRoutes(config.presets ?? []),
      templateRoute(config),
    ];
    this.maxPayloadBytes = config.max_payload_bytes ?? 262_144;
    this.strictJson = config.strict_json ?? false;
    this.defaultRetained = config.retained ?? "take";
  }

  /** Returns the first route matching a topic and its wildcard levels. */
  route(topic: string): { route: Route; wildcards: string[] } | undefined {
    for (const route of this.routes) {
      const wildcards = route.filter.match(topic);
      if (wildcards) return { route, wildcards };
    }
    return undefined;
  }

  /** Returns whether a retained message on this topic is skipped. */
  skipsRetained(topic: string): boolean {
    const found = this.plan(topic);
    return (found?.route.mapping.retained ?? this.defaultRetained) === "skip";
  }

  /**
   * Returns the source of the readings of a topic (protocol, topic and
   * connector name). The messages and readings of one topic share it, so
   * it is frozen (see sharedSource in @qubit/core).
   */
  sourceFor(topic: string, connector: string | undefined): ReadingSource {
    const plan = this.plans.get(topic);
    const known = plan?.source;
    if (known !== undefined && known.connector === connector) return known;
    const source = sharedSource(
      connector === undefined
        ? { protocol: "mqtt", address: topic }
        : { protocol: "mqtt", address: topic, connector },
    );
    if (plan) plan.source = source;
    return source;
  }

  /**
   * Returns the timestamp for a reading that takes the receive time: the
   * receive time, or 1 ms after the last one given to the same series
   * when that is not earlier. Two messages of one series received in one
   * millisecond would otherwise get one reading id, and the pipeline
   * would reject the second value as a conflict. A burst of N messages
   * to one series thus gets times up to N - 1 ms after its receive time.
   */
  stampReceiveTime(series: string, receivedAt: number): number {
    const last = this.receiveTimes.get(series);
    const time =
      last !== undefined && last >= receivedAt ? last + 1 : receivedAt;
    if (last === undefined && this.receiveTimes.size >= MAX_CLOCKED_SERIES)
      this.forgetReceiveTimes(receivedAt);
    this.receiveTimes.set(series, time);
    return time;
  }

  /**
   * Drops the series whose last time is before `receivedAt`: the next
   * reading of such a series takes its receive time either way.
   */
  private forgetReceiveTimes(receivedAt: number): void {
    for (const [series, time] of this.receiveTimes) {
      if (time < receivedAt) this.receiveTimes.delete(series);
    }
    // NOTE: when every kept series is ahead of the clock (a burst on more
    // than MAX_CLOCKED_SERIES series), the times are forgotten, and a
    // series can get one time twice.
    if (this.receiveTimes.size >= MAX_CLOCKED_SERIES) this.receiveTimes.clear();
  }

  /** Converts one message. */
  convert(message: RawMessage, source: ReadingSource): Conversion {
    const result: Conversion = {
      readings: [],
      rejects: [],
      diagnostics: [],
      value: undefined,
      unit: undefined,
      payload: undefined,
      route: undefined,
      skipped: false,
    };
    const found = this.plan(message.topic);
    if (!found) {
      result.rejects.push(
        reject(
          message,
          "QUBIT_MQTT_TOPIC_MISMATCH",
          `Topic "${message.topic}" matches no rule, preset or topic template`,
          "add a rule whose filter matches this topic",
        ),
      );
      return result;
    }
    const { route, wildcards, levels } = found;
    const mapping = route.mapping;
    result.route = route.name;

    const check =
      found.check === "pass"
        ? undefined
        : (found.check ?? mapping.checkTopic?.(message.topic));
    if (check === "skip") {
      result.skipped = true;
      return result;
    }
    if (check) {
      result.rejects.push(check);
      return result;
    }
    if (levels === undefined && mapping.requireTemplate) {
      result.rejects.push(templateMismatch(message.topic, mapping));
      return result;
    }
    if (message.payload.byteLength > this.maxPayloadBytes) {
      result.rejects.push(
        reject(
          message,
          "QUBIT_MQTT_PAYLOAD_TOO_LARGE",
          `Payload of ${message.payload.byteLength} bytes is above max_payload_bytes (${this.maxPayloadBytes}) on topic ${message.topic}`,
          "raise max_payload_bytes if such payloads are expected",
        ),
      );
      return result;
    }
    if (message.payload.byteLength === 0) {
      result.rejects.push(
        reject(
          message,
          "QUBIT_MQTT_PAYLOAD_EMPTY",
          `Payload on topic ${message.topic} is empty; a reading needs a value`,
          "publish a value; an empty retained message only clears the retained value",
        ),
      );
      return result;
    }

    const decoded = this.decode(message, mapping, result.rejects);
    if (decoded === NOT_DECODED) return result;
    result.payload = decoded;
    if (mapping.validate) {
      const problem = mapping.validate(decoded);
      if (problem !== undefined) {
        result.rejects.push(
          reject(
            message,
            "QUBIT_MQTT_PAYLOAD_SCHEMA",
            `Payload ${excerpt(decoded)} on topic ${message.topic} does not match the JSON Schema of ${route.name}: ${problem}`,
            "fix the publisher, or the schema of the rule",
          ),
        );
        return result;
      }
    }
    extractReadings(
      mapping,
      {
        topic: message.topic,
        wildcards,
        levels: levels ?? NO_LEVELS,
        properties: message.userProperties ?? NO_PROPERTIES,
        payload: decoded,
        receivedAt: message.receivedAt,
        stampReceiveTime: this.stampReceiveTimeBound,
        source,
        retained: message.retained,
      },
      result,
    );
    return result;
  }

  /** Returns the remembered plan of a topic, working it out on first use. */
  private plan(topic: string): TopicPlan | undefined {
    const known = this.plans.get(topic);
    if (known !== undefined) return known ?? undefined;
    const found = this.route(topic);
    let plan: TopicPlan | null = null;
    if (found) {
      const mapping = found.route.mapping;
      const check = mapping.checkTopic?.(topic);
      plan = {
        route: found.route,
        wildcards: found.wildcards,
        levels: mapping.template?.match(topic),
        check: undefined,
        source: undefined,
      };
      if (check === undefined) plan.check = "pass";
      else if (check === "skip") plan.check = "skip";
      else return plan;
    }
    if (this.plans.size >= MAX_PLANNED_TOPICS) this.plans.clear();
    this.plans.set(topic, plan);
    return plan ?? undefined;
  }

  /** Returns the decoded payload, or NOT_DECODED after adding a reject. */
  private decode(
    message: RawMessage,
    mapping: Mapping,
    rejects: Diagnostic[],
  ): unknown {
    const format = effectiveFormat(mapping.format, message);
    if (format === "protobuf") {
      if (!mapping.protobuf) {
        rejects.push(
          reject(
            message,
            "QUBIT_MQTT_PAYLOAD_DECODE",
            `Payload on topic ${message.topic} is Protobuf but the matching rule names no .proto file`,
            "set protobuf.proto_file and protobuf.message_type in the rule",
          ),
        );
        return NOT_DECODED;
      }
      try {
        return this.checkDepth(
          mapping.protobuf.decode(message.payload),
          message,
          rejects,
        );
      } catch (error) {
        rejects.push(
          reject(
            message,
            "QUBIT_MQTT_PAYLOAD_DECODE",
            `Payload on topic ${message.topic} (${message.payload.byteLength} bytes, starting ${hexStart(message.payload)}) does not decode as Protobuf ${mapping.protobuf.messageType}: ${(error as Error).message}`,
            "check that the publisher uses the same .proto message type",
          ),
        );
        return NOT_DECODED;
      }
    }
    if (format === "msgpack") {
      try {
        return this.checkDepth(readMsgpack(message.payload), message, rejects);
      } catch (error) {
        rejects.push(
          reject(
            message,
            "QUBIT_MQTT_PAYLOAD_DECODE",
            `Payload on topic ${message.topic} (${message.payload.byteLength} bytes, starting ${hexStart(message.payload)}) does not decode as MessagePack: ${(error as Error).message}`,
            "check the publisher's encoding, or the rule's format",
          ),
        );
        return NOT_DECODED;
      }
    }
    let text: string;
    try {
      text = utf8.decode(message.payload);
    } catch {
      rejects.push(
        reject(
          message,
          "QUBIT_MQTT_PAYLOAD_NOT_UTF8",
          `Payload on topic ${message.topic} is not valid UTF-8 text (${message.payload.byteLength} bytes, starting ${hexStart(message.payload)}); ${format} payloads must be UTF-8`,
          "set the rule's format to protobuf or msgpack for binary payloads, or fix the publisher's encoding",
        ),
      );
      return NOT_DECODED;
    }
    if (format === "json" || (format === "auto" && looksLikeJson(text))) {
      // Checked before parsing: the lenient reader and the mapping recurse.
      const deep = deepJsonOffset(text);
      if (deep !== undefined) {
        rejects.push(tooDeep(message, `at offset ${deep}`));
        return NOT_DECODED;
      }
      // Valid JSON, the usual case, skips readJson's result object.
      try {
        return JSON.parse(text);
      } catch {
        // readJson parses again, with the lenient fallback and the offset.
      }
      const parsed = readJson(text, this.strictJson);
      if (!parsed.ok && text.trim() === "") {
        rejects.push(emptyText(message));
        return NOT_DECODED;
      }
      if (!parsed.ok) {
        const diagnostic = reject(
          message,
          "QUBIT_MQTT_PAYLOAD_NOT_JSON",
          `Payload ${JSON.stringify(text.slice(0, 60))} on topic ${message.topic} is not valid JSON${parsed.offset === undefined ? "" : ` at offset ${parsed.offset}`}: ${parsed.error}`,
          "publish valid JSON, or set the rule's format to text",
        );
        if (parsed.offset !== undefined)
          diagnostic.location = {
            ...diagnostic.location,
            offset: parsed.offset,
          };
        rejects.push(diagnostic);
        return NOT_DECODED;
      }
      return parsed.value;
    }
    const plain = readPlain(text);
    if (plain === "") {
      rejects.push(emptyText(message));
      return NOT_DECODED;
    }
    if (plain instanceof UnreadableNumber) {
      if (format === "text") return plain.text;
      const diagnostic = reject(
        message,
        "QUBIT_MQTT_VALUE_TYPE",
        `Payload ${JSON.stringify(plain.text.slice(0, 60))} on topic ${message.topic} ${plain.reason}`,
        plain.fix,
      );
      diagnostic.value = plain.text;
      rejects.push(diagnostic);
      return NOT_DECODED;
    }
    if (
      format === "number" &&
      typeof plain !== "number" &&
      typeof plain !== "object"
    ) {
      rejects.push(
        reject(
          message,
          "QUBIT_MQTT_VALUE_TYPE",
          `Payload on topic ${message.topic} must be a number (format number), got ${JSON.stringify(text.slice(0, 60))}`,
          "publish a decimal number, or set the rule's format to text",
        ),
      );
      return NOT_DECODED;
    }
    if (format === "boolean" && typeof plain !== "boolean") {
      rejects.push(
        reject(
          message,
          "QUBIT_MQTT_VALUE_TYPE",
          `Payload on topic ${message.topic} must be true, false, on or off (format boolean), got ${JSON.stringify(text.slice(0, 60))}`,
          "publish a boolean word, or set the rule's format to text",
        ),
      );
      return NOT_DECODED;
    }
    return plain;
  }

  /** Returns `value` unless it nests too deep, in which case it adds a reject. */
  private checkDepth(
    value: unknown,
    message: RawMessage,
    rejects: Diagnostic[],
  ): unknown {
    if (!isNestedDeeper(value)) return value;
    rejects.push(tooDeep(message, "after decoding"));
    return NOT_DECODED;
  }
}

function emptyText(message: RawMessage): Diagnostic {
  return reject(
    message,
    "QUBIT_MQTT_PAYLOAD_EMPTY",
    `Payload on topic ${message.topic} contains only white space (${message.payload.byteLength} bytes); a reading needs a value`,
    "publish a value such as 42.5, true or a JSON object",
  );
}

function tooDeep(message: RawMessage, where: string): Diagnostic {
  const diagnostic = reject(
    message,
    "QUBIT_MQTT_PAYLOAD_TOO_DEEP",
    `Payload on topic ${message.topic} nests arrays or objects deeper than the maximum of ${MAX_NESTING_DEPTH} levels (${where})`,
    `publish the payload with at most ${MAX_NESTING_DEPTH} levels of arrays and objects`,
  );
  diagnostic.value = `${message.payload.byteLength} bytes`;
  return diagnostic;
}

/** Returns the first bytes of a payload in hex, for messages about binary input. */
function hexStart(payload: Uint8Array): string {
  const shown = Buffer.from(
    payload.buffer,
    payload.byteOffset,
    Math.min(payload.byteLength, 16),
  ).toString("hex");
  return payload.byteLength > 16 ? `0x${shown}…` : `0x${shown}`;
}

/** Returns a short JSON excerpt of a decoded payload, for messages. */
function excerpt(value: unknown): string {
  let shown: string;
  try {
    shown = JSON.stringify(value) ?? String(value);
  } catch {
    shown = String(value);
  }
  return shown.length > 60 ? `${shown.slice(0, 59)}…` : shown;
}

function templateMismatch(topic: string, mapping: Mapping): Diagnostic {
  const source = mapping.template?.source ?? "";
  return reject(
    { topic },
    "QUBIT_MQTT_TOPIC_MISMATCH",
    `Topic "${topic}" matches no rule and does not fit the topic template ${source} (${topic.split("/").length} levels, template has ${source.split("/").length})`,
    "add a rule whose filter matches this topic, enable a preset, or change topic_template",
  );
}

function effectiveFormat(
  format: PayloadFormat,
  message: RawMessage,
): PayloadFormat {
  if (format !== "auto" || message.contentType === undefined) return format;
  const type = message.contentType.toLowerCase();
  if (type.includes("json")) return "json";
  if (type.includes("protobuf") || type.includes("x-proto")) return "protobuf";
  if (type.includes("msgpack")) return "msgpack";
  if (type.startsWith("text/")) return "text";
  return "auto";
}

function looksLikeJson(text: string): boolean {
  for (let index = 0; index < text.length; index += 1) {
    const code = text.charCodeAt(index);
    if (code === 32 || code === 9 || code === 10 || code === 13) continue;
    return code === 123 || code === 91 || code === 34;
  }
  return false;
}
