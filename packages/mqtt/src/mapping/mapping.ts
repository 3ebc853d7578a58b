import type { Diagnostic } from "@qubit/core";
import type { PayloadFormat } from "../config.js";
import type { ProtobufDecoder } from "../payload/binary.js";
import type { TopicFilter } from "../topic/filter.js";
import type { TopicTemplate } from "../topic/template.js";
import type { JsonPath } from "./json-path.js";
import type { ValueSource } from "./source.js";

/** Mapping of one field of a multi-value payload to a reading. */
export interface FieldDecision {
  metric: string;
  unit?: string | undefined;
  scale?: number | undefined;
}

/**
 * A compiled mapping: everything needed to turn the payload of a matching
 * topic into readings. Config rules and the device presets compile to it.
 */
export interface Mapping {
  format: PayloadFormat;
  /** Names the topic levels; `undefined` uses none. */
  template: TopicTemplate | undefined;
  /** True rejects topics that do not fit `template`. */
  requireTemplate: boolean;
  org_id: ValueSource | undefined;
  site_id: ValueSource | undefined;
  asset_id: ValueSource | undefined;
  device_id: ValueSource | undefined;
  /** Metric of a single value, or prefix of multi-value field paths. */
  metric: ValueSource | undefined;
  /** True when `metric` prefixes multi-value field paths. */
  metricPrefixesFields: boolean;
  value: JsonPath | undefined;
  /** Part of the payload that contains the values; default the whole payload. */
  root?: JsonPath | undefined;
  unit: ValueSource | undefined;
  timestamp: ValueSource | undefined;
  /** Top-level keys read as the device timestamp when `timestamp` is unset. */
  timestampKeys: readonly string[];
  /** Parses a device timestamp to epoch ms; throws a `TimeError`. */
  parseTimestamp(raw: string | number): number;
  /**
   * Decides how a multi-value field maps: `undefined` skips it. `name` is
   * the dotted path (`Dc.Power`), `key` its last step.
   */
  field(name: string, key: string): FieldDecision | undefined;
  /** Multiplier of every numeric value without a field scale. */
  scale: number | undefined;
  /** Checks a JSON payload; returns the problems, or `undefined` when valid. */
  validate: ((payload: unknown) => string | undefined) | undefined;
  protobuf: ProtobufDecoder | undefined;
  retained: "take" | "skip" | undefined;
  metadata: Record<string, unknown> | undefined;
  /**
   * Checks a topic before decoding; returns a reject to dead-letter it,
   * or `undefined` to go on. Presets use it to refuse command topics.
   */
  checkTopic?: (topic: string) => Diagnostic | "skip" | undefined;
}

/** A filter and the mapping of the topics it matches. */
export interface Route {
  /** Origin of the route: `rules[0]`, `preset shelly`, `topic_template`. */
  name: string;
  filter: TopicFilter;
  mapping: Mapping;
}
