import { OcppError } from "../errors.js";
import type { OcppVersion } from "../versions.js";
import type { SendOptions } from "./commands.js";
import {
  type ChargingProfileInput,
  type Command,
  clearChargingProfile,
  getCompositeSchedule,
  remoteStart,
  remoteStop,
  reset,
  setChargingProfile,
  triggerMessage,
  updateFirmware,
} from "./operations.js";

type Sender = (
  action: string,
  payload: Record<string, unknown>,
  options?: SendOptions,
) => Promise<Record<string, unknown>>;

/**
 * Remote operations, smart charging and firmware management in one API
 * for both versions. Each method builds the version's CALL for the charge
 * point, which is checked against the schema before it is sent, and
 * returns the charge point's response as received.
 */
export class ChargePointOperations {
  constructor(
    private readonly senderOf: (identity: string) => Sender,
    private readonly versionOf: (identity: string) => OcppVersion | undefined,
  ) {}

  /** Starts a transaction remotely (RemoteStartTransaction / RequestStartTransaction). */
  remoteStart(
    identity: string,
    input: {
      idTag: string;
      connectorId?: number;
      chargingProfile?: ChargingProfileInput;
    },
    options?: SendOptions,
  ) {
    return this.run(
      identity,
      (version) => remoteStart(version, input),
      options,
    );
  }

  /** Stops a transaction remotely (RemoteStopTransaction / RequestStopTransaction). */
  remoteStop(
    identity: string,
    transactionId: string | number,
    options?: SendOptions,
  ) {
    return this.run(
      identity,
      (version) => remoteStop(version, transactionId),
      options,
    );
  }

  /** Resets the charge point. */
  reset(
    identity: string,
    type: "Soft" | "Hard" | "OnIdle" | "Immediate",
    options?: SendOptions,
  ) {
    return this.run(identity, (version) => reset(version, type), options);
  }

  /** Asks the charge point to send a message now (MeterValues, StatusNotification, ...). */
  triggerMessage(
    identity: string,
    requestedMessage: string,
    connectorId?: number,
    options?: SendOptions,
  ) {
    return this.run(
      identity,
      (version) => triggerMessage(version, requestedMessage, connectorId),
      options,
    );
  }

  /** 1.6 ChangeConfiguration of one key. */
  changeConfiguration(
    identity: string,
    key: string,
    value: string,
    options?: SendOptions,
  ) {
    return this.run(
      identity,
      (version) => only16(version, "ChangeConfiguration", { key, value }),
      options,
    );
  }

  /** 1.6 GetConfiguration of some keys, or all when none are given. */
  getConfiguration(identity: string, keys?: string[], options?: SendOptions) {
    return this.run(
      identity,
      (version) =>
        only16(version, "GetConfiguration", keys ? { key: keys } : {}),
      options,
    );
  }

  /** 2.0.1 SetVariables. */
  setVariables(
    identity: string,
    values: {
      component: string;
      variable: string;
      value: string;
      attributeType?: string;
    }[],
    options?: SendOptions,
  ) {
    return this.run(
      identity,
      (version) =>
        only201(version, "SetVariables", {
          setVariableData: values.map((entry) => ({
            component: { name: entry.component },
            variable: { name: entry.variable },
            attributeValue: entry.value,
            ...(entry.attributeType
              ? { attributeType: entry.attributeType }
              : {}),
          })),
        }),
      options,
    );
  }

  /** 2.0.1 GetVariables. */
  getVariables(
    identity: string,
    values: { component: string; variable: string }[],
    options?: SendOptions,
  ) {
    return this.run(
      identity,
      (version) =>
        only201(version, "GetVariables", {
          getVariableData: values.map((entry) => ({
            component: { name: entry.component },
            variable: { name: entry.variable },
          })),
        }),
      options,
    );
  }

  /** Sets a charging profile on a connector / EVSE (0: whole station). */
  setChargingProfile(
    identity: string,
    connectorId: number,
    profile: ChargingProfileInput,
    options?: SendOptions,
  ) {
    return this.run(
      identity,
      (version) => setChargingProfile(version, connectorId, profile),
      options,
    );
  }

  /** Clears charging profiles by id or criteria. */
  clearChargingProfile(
    identity: string,
    criteria: {
      id?: number;
      connectorId?: number;
      purpose?: string;
      stackLevel?: number;
    },
    options?: SendOptions,
  ) {
    return this.run(
      identity,
      (version) => clearChargingProfile(version, criteria),
      options,
    );
  }

  /** Asks for the composite schedule of the next `durationS` seconds. */
  getCompositeSchedule(
    identity: string,
    connectorId: number,
    durationS: number,
    unit?: "W" | "A",
    options?: SendOptions,
  ) {
    return this.run(
      identity,
      (version) => getCompositeSchedule(version, connectorId, durationS, unit),
      options,
    );
  }

  /** Requests a firmware update; the charge point's firmware state becomes Requested. */
  updateFirmware(
    identity: string,
    input: Parameters<typeof updateFirmware>[1],
    options?: SendOptions,
  ) {
    return this.run(
      identity,
      (version) => updateFirmware(version, input),
      options,
    );
  }

  private run(
    identity: string,
    build: (version: OcppVersion) => Command,
    options?: SendOptions,
  ) {
    const version = this.versionOf(identity);
    if (!version) {
      return Promise.reject(
        new OcppError(
          "QUBIT_OCPP_CHARGE_POINT_OFFLINE",
          `charge point ${identity} has never connected, so its OCPP version is unknown`,
          { location: { protocol: "ocpp", address: identity } },
        ),
      );
    }
    let command: Command;
    try {
      command = build(version);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.senderOf(identity)(command.action, command.payload, options);
  }
}

function only16(
  version: OcppVersion,
  action: string,
  payload: Record<string, unknown>,
): Command {
  if (version !== "1.6") {
    throw new OcppError(
      "QUBIT_OCPP_COMMAND_INVALID",
      `${action} exists in OCPP 1.6 only; use SetVariables / GetVariables for 2.0.1`,
    );
  }
  return { action, payload };
}

function only201(
  version: OcppVersion,
  action: string,
  payload: Record<string, unknown>,
): Command {
  if (version !== "2.0.1") {
    throw new OcppError(
      "QUBIT_OCPP_COMMAND_INVALID",
      `${action} exists in OCPP 2.0.1 only; use ChangeConfiguration / GetConfiguration for 1.6`,
    );
  }
  return { action, payload };
}
