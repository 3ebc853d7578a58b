import { EventEmitter } from "node:events";
import { emptyResult, type Logger, noopLogger } from "@qubit/core";
import { OcppMessage } from "../message.js";
import { EnergyLabelCheck } from "../meter/energy-label-check.js";
import { Notes } from "../meter/notes.js";
import { describeDeviations } from "../schema/tolerant-check.js";
import { StationStore } from "../state/stations.js";
import { TransactionStore } from "../state/transactions.js";
import type { ProcessorDeps, RecordContext } from "./context.js";
import {
  recordMeterValues16,
  recordStartTransaction,
  recordStopTransaction,
} from "./record-16.js";
import {
  recordMeterValues201,
  recordNotifyEvent,
  recordNotifyReport,
  recordStatus201,
  recordTransactionEvent,
} from "./record-201.js";
import {
  recordBoot,
  recordDataTransfer,
  recordDiagnosticsStatus,
  recordFirmwareStatus,
  recordSecurityEvent,
  recordStatus16,
} from "./record-common.js";
import { DEFAULT_POLICY, type Responder, respond } from "./respond.js";
import { markSampling } from "./sampling.js";
import type {
  CsmsPolicy,
  OcppCall,
  ProcessorEvents,
  ProcessorOptions,
  StationOptions,
} from "./types.js";

type Recorder = (context: RecordContext) => void;

const NO_STATION_OPTIONS: StationOptions = Object.freeze({});

const RECORDERS_16: Record<string, Recorder> = {
  BootNotification: recordBoot,
  StatusNotification: recordStatus16,
  MeterValues: recordMeterValues16,
  StartTransaction: recordStartTransaction,
  StopTransaction: recordStopTransaction,
  DataTransfer: recordDataTransfer,
  FirmwareStatusNotification: recordFirmwareStatus,
  SignedFirmwareStatusNotification: recordFirmwareStatus,
  DiagnosticsStatusNotification: recordDiagnosticsStatus,
  SecurityEventNotification: recordSecurityEvent,
};

const RECORDERS_201: Record<string, Recorder> = {
  BootNotification: recordBoot,
  StatusNotification: recordStatus201,
  MeterValues: recordMeterValues201,
  TransactionEvent: recordTransactionEvent,
  DataTransfer: recordDataTransfer,
  FirmwareStatusNotification: recordFirmwareStatus,
  SecurityEventNotification: recordSecurityEvent,
  NotifyReport: recordNotifyReport,
  NotifyEvent: recordNotifyEvent,
};

/**
 * The protocol logic shared by every role: it responds to CALLs as a central
 * system (`respond`) and turns a CALL and the response it got into an
 * {@link OcppMessage} with readings, updating transactions, sessions and
 * charge point state (`record`). The central system does both; the proxy
 * and the charge point client only record, with the response of the other
 * side. No sockets here, so `qubit convert ocpp` and tests use it as is.
 */
export class OcppProcessor extends EventEmitter<ProcessorEvents> {
  readonly connectorName: string;
  readonly transactions: TransactionStore;
  readonly stations: StationStore;
  readonly policy: CsmsPolicy;
  private readonly logger: Logger;
  private readonly now: () => number;
  private readonly deps: ProcessorDeps;
  private readonly responder: Responder;
  private readonly seen = new Set<string>();
  private readonly stationOptions: (
    identity: string,
  ) => StationOptions | undefined;
  /** Diagnostics reported once and then only counted. */
  repeatedDiagnostics = 0;

  constructor(options: ProcessorOptions) {
    super();
    this.connectorName = options.connectorName;
    this.logger = options.logger ?? noopLogger;
    this.now = options.now ?? Date.now;
    this.transactions = new TransactionStore(
      options.connectorName,
      options.state,
      this.now,
    );
    this.stations = new StationStore(options.connectorName, options.state);
    this.policy = { ...DEFAULT_POLICY, ...options.policy };
    this.responder = {
      policy: this.policy,
      transactions: this.transactions,
      stations: this.stations,
      now: this.now,
    };
    this.stationOptions = options.stationOptions ?? (() => undefined);
    this.deps = {
      connectorName: this.connectorName,
      transactions: this.transactions,
      stations: this.stations,
      labelCheck: new EnergyLabelCheck(),
      logger: this.logger,
      now: this.now,
      stationOptions: (identity) =>
        this.stationOptions(identity) ?? NO_STATION_OPTIONS,
      emit: (event, ...args) => {
        (this.emit as (name: string, ...rest: unknown[]) => boolean)(
          event,
          ...args,
        );
      },
    };
  }

  /**
   * Builds the central system's response to a CALL. Throws an `OcppCallError` to be
   * sent as a CALLERROR.
   */
  respond(call: OcppCall): Record<string, unknown> {
    return respond(this.responder, call);
  }

  /**
   * Turns a CALL and the response it got into a message with readings,
   * rejects and diagnostics, and updates the stored state.
   */
  record(call: OcppCall, response: unknown): OcppMessage {
    const result = emptyResult();
    const message = new OcppMessage({
      kind: call.action,
      identity: call.identity,
      version: call.version,
      messageId: call.messageId,
      payload: call.payload,
      raw: call.raw,
      receivedAt: call.receivedAt,
      connectorName: this.connectorName,
      result,
    });
    const notes = new Notes(result, this.seen);
    const context: RecordContext = {
      call,
      response,
      result,
      notes,
      source: message.source,
      deps: this.deps,
    };
    if (call.violation !== undefined) {
      notes.diagnostic({
        code: "QUBIT_OCPP_PAYLOAD_INVALID",
        message: `${call.action} violates its schema (${call.violation}); accepted anyway because refusing it makes the charger resend it forever`,
        location: message.source,
        value: call.payload,
      });
    }
    const recorders = call.version === "1.6" ? RECORDERS_16 : RECORDERS_201;
    recorders[call.action]?.(context);
    markSampling(call, result.readings);
    if (call.deviations && call.deviations.length > 0) {
      const described = describeDeviations(call.deviations);
      for (const reading of result.readings) {
        reading.metadata = {
          ...reading.metadata,
          schema_deviations: described,
        };
      }
      notes.diagnostic(
        {
          code: "QUBIT_OCPP_SCHEMA_DEVIATION",
          message: `${call.action} deviates from the OCPP ${call.version} schema: ${described.join("; ")}; accepted`,
          location: message.source,
        },
        `${call.identity}|deviation|${call.action}|${call.deviations
          .map((deviation) => deviation.kind)
          .join(",")}`,
      );
    }
    this.repeatedDiagnostics += notes.repeats;
    return message;
  }

  /** Builds the central system's response to a CALL and records the CALL. */
  handle(call: OcppCall): {
    response: Record<string, unknown>;
    message: OcppMessage;
  } {
    const response = this.respond(call);
    return { response, message: this.record(call, response) };
  }
}
