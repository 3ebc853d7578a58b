import type { TSchema } from "@sinclair/typebox";
import type { Connector, ConnectorContext } from "./connector/connector.js";
import type { ConfigIssue } from "./errors.js";

/** One configured connector, as a plugin's cross-check sees it. */
export interface ConfiguredConnector<C> {
  /** Instance name (the config's `name`, or `<protocol>-<index>`). */
  name: string;
  /** JSON pointer to the entry in the config file, for issues. */
  path: string;
  config: C;
}

/**
 * What a protocol package gives the runner: the schema of its config
 * section, the checks that a schema cannot express, and a factory. The
 * runner's config file has one top-level key per plugin (`mqtt`, `ocpp`,
 * `modbus`, `csv`, `http`), holding one connector config or a list.
 */
export interface ConnectorPlugin<C = unknown> {
  /** Protocol name; also the config file's key. */
  readonly protocol: string;
  /** TypeBox schema of one connector's config. */
  readonly configSchema: TSchema;
  /**
   * Checks that span fields or instances (two MQTT connectors with one
   * client id, a Modbus `scale` that looks like a multiplier). Returns
   * errors and warnings with paths.
   */
  check?(connectors: readonly ConfiguredConnector<C>[]): ConfigIssue[];
  /** Creates a connector from a validated config. */
  create(config: C, context: ConnectorContext): Connector;
}
