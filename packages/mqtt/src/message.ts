import type {
  ConversionResult,
  ReadingSource,
  ReadingValue,
  SourceMessage,
  TimeSeries,
} from "@qubit/core";
import type { Conversion, MqttConverter, RawMessage } from "./converter.js";

const NO_PROPERTIES: Readonly<Record<string, string>> = Object.freeze({});

/**
 * One MQTT message as the connector received it. Handlers read the
 * decoded `payload`, the single `value` and `unit`, the MQTT fields
 * (`topic`, `qos`, `retained`, `userProperties`) and
 * `toTimeSeries()`. The conversion runs once, on first use.
 */
export class MqttMessage implements SourceMessage {
  readonly protocol = "mqtt";
  readonly kind: string;
  readonly source: ReadingSource;
  readonly receivedAt: number;
  readonly raw: Uint8Array;
  readonly topic: string;
  readonly qos: 0 | 1 | 2;
  readonly retained: boolean;
  /** MQTT 5 user properties; empty for MQTT 3.1.1. */
  readonly userProperties: Readonly<Record<string, string>>;
  /** MQTT 5 content type, when the publisher set one. */
  readonly contentType: string | undefined;
  private readonly converter: MqttConverter;
  private readonly message: RawMessage;
  private result: Conversion | undefined;

  constructor(
    converter: MqttConverter,
    message: RawMessage,
    connector: string | undefined,
  ) {
    this.converter = converter;
    this.kind = message.topic;
    this.topic = message.topic;
    this.raw = message.payload;
    this.receivedAt = message.receivedAt;
    this.qos = message.qos;
    this.retained = message.retained;
    this.userProperties = message.userProperties ?? NO_PROPERTIES;
    this.message = message;
    this.contentType = message.contentType;
    this.source = converter.sourceFor(message.topic, connector);
  }

  /** The decoded payload: parsed JSON, a number, text, or a decoded binary message. */
  get payload(): unknown {
    return this.conversion().payload;
  }

  /** The value of a single-value payload, or of its first reading. */
  get value(): ReadingValue | undefined {
    return this.conversion().value;
  }

  /** The canonical unit of {@link value}, before conversion to base units. */
  get unit(): string | undefined {
    return this.conversion().unit;
  }

  /** True when the matching route skips this topic on purpose. */
  get skipped(): boolean {
    return this.conversion().skipped;
  }

  /** Name of the route that mapped the message (`rules[0]`, `preset shelly (Gen1)`). */
  get route(): string | undefined {
    return this.conversion().route;
  }

  convert(): ConversionResult {
    return this.conversion();
  }

  toTimeSeries(): TimeSeries[] {
    return this.conversion().readings;
  }

  private conversion(): Conversion {
    this.result ??= this.converter.convert(this.message, this.source);
    return this.result;
  }
}
