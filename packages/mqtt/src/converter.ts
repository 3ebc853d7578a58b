import type { Diagnostic, ReadingSource } from "@qubit/core";
import type { MqttConfig, PayloadFormat } from "./config.js";
import {
  type ExtractOutput,
  extractReadings,
  reject,
} from "./mapping/extract.js";
import type { Mapping, Route } from "./mapping/mapping.js";
import { compileRule, templateRoute } from "./mapping/rules.js";
import { readMsgpack } from "./payload/binary.js";
import { readJson } from "./payload/json.js";
import { readPlain } from "./payload/plain.js";
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
    const found = this.route(topic);
    return (found?.route.mapping.retained ?? this.defaultRetained) === "skip";
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
    const found = this.route(message.topic);
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
    const { route, wildcards } = found;
    const mapping = route.mapping;
    result.route = route.name;

    const check = mapping.checkTopic?.(message.topic);
    if (check === "skip") {
      result.skipped = true;
      return result;
    }
    if (check) {
      result.rejects.push(check);
      return result;
    }
    const levels = mapping.template?.match(message.topic);
    if (levels === undefined && mapping.requireTemplate) {
      result.rejects.push(templateMismatch(message.topic, mapping));
      return result;
    }
    if (message.payload.byteLength > this.maxPayloadBytes) {
      result.rejects.push(
        reject(
          message,
          "QUBIT_MQTT_PAYLOAD_TOO_LARGE",
          `Payload of ${message.payload.byteLength} bytes is above max_payload_bytes (${this.maxPayloadBytes})`,
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
          "Payload is empty; a reading needs a value",
          "publish a value; an empty retained message only clears the retained value",
        ),
      );
      return result;
    }

    const decoded = this.decode(message, mapping, result.rejects);
    if (decoded === undefined) return result;
    result.payload = decoded.value;
    if (mapping.validate) {
      const problem = mapping.validate(decoded.value);
      if (problem !== undefined) {
        result.rejects.push(
          reject(
            message,
            "QUBIT_MQTT_PAYLOAD_SCHEMA",
            `Payload does not match the rule's JSON Schema: ${problem}`,
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
        payload: decoded.value,
        receivedAt: message.receivedAt,
        source,
        retained: message.retained,
      },
      result,
    );
    return result;
  }

  private decode(
    message: RawMessage,
    mapping: Mapping,
    rejects: Diagnostic[],
  ): { value: unknown } | undefined {
    const format = effectiveFormat(mapping.format, message);
    if (format === "protobuf") {
      if (!mapping.protobuf) {
        rejects.push(
          reject(
            message,
            "QUBIT_MQTT_PAYLOAD_DECODE",
            "Payload is Protobuf but the rule names no .proto file",
            "set protobuf.proto_file and protobuf.message_type in the rule",
          ),
        );
        return undefined;
      }
      try {
        return { value: mapping.protobuf.decode(message.payload) };
      } catch (error) {
        rejects.push(
          reject(
            message,
            "QUBIT_MQTT_PAYLOAD_DECODE",
            `Payload does not decode as Protobuf ${mapping.protobuf.messageType}: ${(error as Error).message}`,
            "check that the publisher uses the same .proto message type",
          ),
        );
        return undefined;
      }
    }
    if (format === "msgpack") {
      try {
        return { value: readMsgpack(message.payload) };
      } catch (error) {
        rejects.push(
          reject(
            message,
            "QUBIT_MQTT_PAYLOAD_DECODE",
            `Payload does not decode as MessagePack: ${(error as Error).message}`,
            "check the publisher's encoding, or the rule's format",
          ),
        );
        return undefined;
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
          `Payload is not valid UTF-8 text (${message.payload.byteLength} bytes); ${format} payloads must be UTF-8`,
          "set the rule's format to protobuf or msgpack for binary payloads, or fix the publisher's encoding",
        ),
      );
      return undefined;
    }
    if (format === "json" || (format === "auto" && looksLikeJson(text))) {
      const parsed = readJson(text, this.strictJson);
      if (!parsed.ok) {
        const diagnostic = reject(
          message,
          "QUBIT_MQTT_PAYLOAD_NOT_JSON",
          `Payload is not valid JSON${parsed.offset === undefined ? "" : ` at offset ${parsed.offset}`}: ${parsed.error}`,
          "publish valid JSON, or set the rule's format to text",
        );
        if (parsed.offset !== undefined)
          diagnostic.location = {
            ...diagnostic.location,
            offset: parsed.offset,
          };
        rejects.push(diagnostic);
        return undefined;
      }
      return { value: parsed.value };
    }
    const plain = readPlain(text);
    if (
      format === "number" &&
      typeof plain !== "number" &&
      typeof plain !== "object"
    ) {
      rejects.push(
        reject(
          message,
          "QUBIT_MQTT_VALUE_TYPE",
          `Payload must be a number, got ${JSON.stringify(text.slice(0, 60))}`,
          "publish a decimal number, or set the rule's format to text",
        ),
      );
      return undefined;
    }
    if (format === "boolean" && typeof plain !== "boolean") {
      rejects.push(
        reject(
          message,
          "QUBIT_MQTT_VALUE_TYPE",
          `Payload must be true, false, on or off, got ${JSON.stringify(text.slice(0, 60))}`,
          "publish a boolean word, or set the rule's format to text",
        ),
      );
      return undefined;
    }
    return { value: plain };
  }
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
