import { MemoryStateStore, type StateStore } from "@qubit/core";
import type { OcppVersion } from "../versions.js";

/** State of one connector (1.6) or EVSE connector (2.0.1). */
export interface ConnectorState {
  status: string;
  error_code?: string;
  info?: string;
  /** When the charger says the status began, ISO 8601 UTC. */
  at: string;
}

/** Firmware update state of a charge point. */
export interface FirmwareState {
  /** Last FirmwareStatusNotification status, or `Requested` after UpdateFirmware. */
  status: string;
  request_id?: number;
  location?: string;
  retrieve_at?: string;
  updated_at: string;
  /** Firmware version from the last BootNotification. */
  installed_version?: string;
}

/** What we know about one charge point. */
export interface StationRecord {
  identity: string;
  version: OcppVersion;
  /** BootNotification fields: vendor, model, serial, firmware. */
  boot?: Record<string, unknown>;
  registration?: "Accepted" | "Pending" | "Rejected";
  booted_at?: string;
  /** Keyed by connector id; for 2.0.1 by `<evseId>/<connectorId>`. */
  connectors: Record<string, ConnectorState>;
  firmware?: FirmwareState;
  /** 2.0.1 device model values from NotifyReport, keyed `component/variable/type`. */
  variables?: Record<string, string>;
  security_events?: { type: string; at: string; tech_info?: string }[];
}

/** Most security events kept per charge point. */
const MAX_SECURITY_EVENTS = 50;

/**
 * Charge point records of one connector instance, cached in memory and
 * written through to the state store on every change (boot, status,
 * firmware, reports), not on heartbeats or meter values.
 */
export class StationStore {
  private readonly state: StateStore;
  private readonly namespace: string;
  private readonly cache = new Map<string, StationRecord>();

  constructor(
    connectorName: string,
    state: StateStore = new MemoryStateStore(),
  ) {
    this.state = state;
    this.namespace = `ocpp:${connectorName}:stations`;
  }

  /** Returns a charge point's record, creating an empty one. */
  get(identity: string, version: OcppVersion): StationRecord {
    let record = this.cache.get(identity);
    if (!record) {
      record = this.state.get<StationRecord>(this.namespace, identity) ?? {
        identity,
        version,
        connectors: {},
      };
      record.version = version;
      this.cache.set(identity, record);
    }
    return record;
  }

  /** Returns a charge point's record if one exists. */
  find(identity: string): StationRecord | undefined {
    return (
      this.cache.get(identity) ??
      this.state.get<StationRecord>(this.namespace, identity)
    );
  }

  /** Writes a changed record through to the store. */
  save(record: StationRecord): void {
    this.cache.set(record.identity, record);
    this.state.set(this.namespace, record.identity, record);
  }

  /** Adds a security event, keeping the latest ones. */
  addSecurityEvent(
    record: StationRecord,
    event: { type: string; at: string; tech_info?: string },
  ): void {
    const events = record.security_events ?? [];
    events.push(event);
    if (events.length > MAX_SECURITY_EVENTS) events.shift();
    record.security_events = events;
    this.save(record);
  }

  /** Returns every known charge point. */
  all(): StationRecord[] {
    return this.state
      .entries<StationRecord>(this.namespace)
      .map(([identity, stored]) => this.cache.get(identity) ?? stored);
  }
}
