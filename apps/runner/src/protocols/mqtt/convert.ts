import { readFileSync } from "node:fs";
import {
  ConfigError,
  type ConversionResult,
  parseConfig,
  type SourceMessage,
} from "@qubit/core";
import {
  filterProblem,
  type MqttConfig,
  MqttConfigSchema,
  MqttConverter,
  MqttMessage,
} from "@qubit/mqtt";
import { UsageError } from "../../errors.js";
import type { CommandArgs, CommandContext, ConvertCommand } from "../types.js";

const USAGE = `Usage: qubit convert mqtt [--config FILE] --topic TOPIC
                         (--payload TEXT | --payload-file FILE) [options]

Shows the readings one MQTT message becomes, as NDJSON, without a broker.

Options:
  -c, --config FILE         config file with an mqtt section (or the section
                            alone); default: the topic template
                            {org_id}/{site_id}/{asset_id}/{device_id}/{metric}
  -t, --topic TOPIC         topic the message was published on
  -p, --payload TEXT        payload as text
  -f, --payload-file FILE   payload read from a file as bytes (Protobuf,
                            MessagePack and other binary payloads)
  --retain                  treat the message as a retained message
  --user-property NAME=VALUE
                            MQTT 5 user property; repeat for several
  --content-type TYPE       MQTT 5 content type, such as application/json
  --received-at TIME        receive time (ISO 8601), used when the payload
                            has no timestamp; default now`;

/** `qubit convert mqtt`: one topic and payload through the MQTT mapping. */
export const mqttConvert: ConvertCommand = {
  usage: USAGE,
  options: {
    config: { type: "string", short: "c" },
    topic: { type: "string", short: "t" },
    payload: { type: "string", short: "p" },
    "payload-file": { type: "string", short: "f" },
    retain: { type: "boolean" },
    "user-property": { type: "string", multiple: true },
    "content-type": { type: "string" },
    "received-at": { type: "string" },
  },
  *messages(
    args: CommandArgs,
    context: CommandContext,
  ): Iterable<SourceMessage> {
    const { values } = args;
    const topic = stringOption(values.topic);
    if (topic === undefined)
      throw new UsageError("Missing --topic", `usage:\n${USAGE}`);
    const problem = filterProblem(topic);
    if (problem !== undefined || topic.includes("+") || topic.includes("#"))
      throw new UsageError(
        `Invalid --topic ${JSON.stringify(topic)}: a published topic has no + or # wildcards${problem ? ` (${problem})` : ""}`,
        "give the topic the device publishes on",
      );
    const payload = readPayload(values);
    const config = loadConfig(values, context);
    const converter = createConverter(config, stringOption(values.config));
    const receivedAt = receiveTime(values, context);
    const message = new MqttMessage(
      converter,
      {
        topic,
        payload,
        receivedAt,
        qos: 0,
        retained: values.retain === true,
        userProperties: userProperties(values["user-property"]),
        contentType: stringOption(values["content-type"]),
      },
      "convert",
    );
    yield withSkipNote(message);
  },
};

function stringOption(
  value: CommandArgs["values"][string],
): string | undefined {
  return typeof value === "string" ? value : undefined;
}

function readPayload(values: CommandArgs["values"]): Uint8Array {
  const text = stringOption(values.payload);
  const file = stringOption(values["payload-file"]);
  if ((text === undefined) === (file === undefined))
    throw new UsageError(
      "Give exactly one of --payload and --payload-file",
      `usage:\n${USAGE}`,
    );
  if (text !== undefined) return Buffer.from(text, "utf8");
  try {
    return readFileSync(file!);
  } catch (error) {
    throw new UsageError(
      `Cannot read --payload-file ${file}: ${(error as Error).message}`,
      "check the path",
    );
  }
}

function loadConfig(
  values: CommandArgs["values"],
  context: CommandContext,
): MqttConfig {
  const path = stringOption(values.config);
  if (path !== undefined)
    return context.loadProtocolConfig<MqttConfig>(path, "mqtt");
  return parseConfig<MqttConfig>(MqttConfigSchema, {
    broker: "mqtt://127.0.0.1:1883",
    topics: ["#"],
  }).value;
}

function createConverter(config: MqttConfig, path: string | undefined) {
  try {
    return new MqttConverter(config);
  } catch (error) {
    throw new ConfigError(
      [
        {
          path: "/mqtt/rules",
          message: `cannot be compiled: ${(error as Error).message}`,
          fix: "fix the rule's filter, template, paths, schema or .proto file",
          severity: "error",
        },
      ],
      path,
    );
  }
}

function receiveTime(values: CommandArgs["values"], context: CommandContext) {
  const text = stringOption(values["received-at"]);
  if (text === undefined) return context.now();
  const time = Date.parse(text);
  if (!Number.isFinite(time))
    throw new UsageError(
      `Invalid --received-at ${JSON.stringify(text)}`,
      "give an ISO 8601 time such as 2025-01-15T10:00:00Z",
    );
  return time;
}

function userProperties(
  value: CommandArgs["values"][string],
): Record<string, string> | undefined {
  if (!Array.isArray(value)) return undefined;
  const properties: Record<string, string> = {};
  for (const entry of value) {
    const text = String(entry);
    const equals = text.indexOf("=");
    if (equals <= 0)
      throw new UsageError(
        `Invalid --user-property ${JSON.stringify(text)}`,
        "write NAME=VALUE",
      );
    properties[text.slice(0, equals)] = text.slice(equals + 1);
  }
  return properties;
}

/** Adds a warning to a message that a preset skips on purpose. */
function withSkipNote(message: MqttMessage): SourceMessage {
  if (!message.skipped) return message;
  const note: ConversionResult = {
    readings: [],
    rejects: [],
    diagnostics: [
      {
        code: "QUBIT_MQTT_TOPIC_SKIPPED",
        message: `Topic is skipped on purpose by ${message.route}: it carries no measurements`,
        location: { topic: message.topic },
      },
    ],
  };
  return {
    protocol: message.protocol,
    kind: message.kind,
    source: message.source,
    receivedAt: message.receivedAt,
    raw: message.raw,
    convert: () => note,
    toTimeSeries: () => [],
  };
}
