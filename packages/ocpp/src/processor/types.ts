import type { Logger, StateStore } from "@qubit/core";
import type { Deviation } from "../schema/tolerant-check.js";
import type { StationRecord } from "../state/stations.js";
import type { TransactionRecord } from "../state/transactions.js";
import type { OcppVersion } from "../versions.js";

/** One CALL from a charge point, decoded. */
export interface OcppCall {
  /** Charge point id, URL-decoded. */
  identity: string;
  version: OcppVersion;
  messageId: string;
  action: string;
  /** The payload as received (not repaired). */
  payload: Record<string, unknown>;
  /** The frame text as received, for dead letters. */
  raw: string;
  receivedAt: number;
  /** Schema deviations accepted for this call. */
  deviations?: Deviation[];
  /** A schema violation accepted anyway (StopTransaction is never refused). */
  violation?: string;
}

/** 1.6 `idTagInfo.status` and 2.0.1 `idTokenInfo.status` values we send. */
export type AuthorizationStatus =
  | "Accepted"
  | "Blocked"
  | "Expired"
  | "Invalid"
  | "Unknown"
  | "ConcurrentTx";

/** An entry of the id tag list. */
export interface IdTagEntry {
  status: "Accepted" | "Blocked";
  /** ISO 8601; after it the tag gets status `Expired`. */
  expiry_date?: string;
}

/** Policy of a central system's responses to charge points. */
export interface CsmsPolicy {
  /** Heartbeat interval sent in BootNotification responses, in seconds. */
  heartbeatIntervalS: number;
  /** Registration status for a charge point's BootNotification. */
  registration(identity: string): "Accepted" | "Pending" | "Rejected";
  /** Id tags with their status; tags not listed get `unknownIdTag`. */
  idTags: Readonly<Record<string, IdTagEntry>>;
  unknownIdTag: "Accepted" | "Invalid";
  dataTransferStatus: "Accepted" | "Rejected" | "UnknownVendorId";
}

/** Per-charge-point settings. */
export interface StationOptions {
  /** Unit the energy registers really use, whatever their unit label. */
  energy_unit?: string;
}

/** Options of {@link OcppProcessor}. */
export interface ProcessorOptions {
  /** Connector instance name: the `source.connector` of readings and the state namespace. */
  connectorName: string;
  state?: StateStore;
  logger?: Logger;
  now?: () => number;
  policy?: Partial<CsmsPolicy>;
  stationOptions?: (identity: string) => StationOptions | undefined;
}

/** Events of {@link OcppProcessor}. */
export interface ProcessorEvents {
  /** A transaction ended; the record carries its energy. */
  session: [TransactionRecord];
  /** A transaction started. */
  transaction: [TransactionRecord];
  /** A charge point's record changed. */
  station: [
    StationRecord,
    change: "boot" | "status" | "firmware" | "report" | "security_event",
  ];
  /** A DataTransfer arrived. */
  data_transfer: [
    { identity: string; vendorId: string; messageId?: string; data?: unknown },
  ];
}
