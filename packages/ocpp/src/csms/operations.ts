import { OcppError } from "../errors.js";
import type { OcppVersion } from "../versions.js";

/** A CALL to send: action and payload for one version. */
export interface Command {
  action: string;
  payload: Record<string, unknown>;
}

/** A charging schedule period: from `startPeriod` seconds, at most `limit`. */
export interface SchedulePeriod {
  startPeriod: number;
  limit: number;
  numberPhases?: number;
}

/**
 * A charging profile in version-neutral form. It becomes a 1.6
 * `csChargingProfiles` or a 2.0.1 `chargingProfile`.
 */
export interface ChargingProfileInput {
  id: number;
  stackLevel: number;
  purpose:
    | "ChargePointMaxProfile"
    | "TxDefaultProfile"
    | "TxProfile"
    | "ChargingStationMaxProfile";
  kind: "Absolute" | "Recurring" | "Relative";
  recurrency?: "Daily" | "Weekly";
  validFrom?: string;
  validTo?: string;
  transactionId?: string | number;
  schedule: {
    chargingRateUnit: "W" | "A";
    periods: SchedulePeriod[];
    duration?: number;
    startSchedule?: string;
    minChargingRate?: number;
  };
}

let requestCounter = Math.floor(Date.now() / 1000) % 1_000_000;

/** Returns a request id for 2.0.1 calls that need one. */
export function nextRequestId(): number {
  requestCounter += 1;
  return requestCounter;
}

/** Remote start: 1.6 RemoteStartTransaction, 2.0.1 RequestStartTransaction. */
export function remoteStart(
  version: OcppVersion,
  input: {
    idTag: string;
    connectorId?: number;
    chargingProfile?: ChargingProfileInput;
  },
): Command {
  if (version === "1.6") {
    const payload: Record<string, unknown> = { idTag: input.idTag };
    if (input.connectorId !== undefined)
      payload.connectorId = input.connectorId;
    if (input.chargingProfile)
      payload.chargingProfile = profile16(input.chargingProfile);
    return { action: "RemoteStartTransaction", payload };
  }
  const payload: Record<string, unknown> = {
    idToken: { idToken: input.idTag, type: "Central" },
    remoteStartId: nextRequestId(),
  };
  if (input.connectorId !== undefined) payload.evseId = input.connectorId;
  if (input.chargingProfile)
    payload.chargingProfile = profile201(input.chargingProfile);
  return { action: "RequestStartTransaction", payload };
}

/** Remote stop: 1.6 RemoteStopTransaction, 2.0.1 RequestStopTransaction. */
export function remoteStop(
  version: OcppVersion,
  transactionId: string | number,
): Command {
  if (version === "1.6") {
    const id = Number(transactionId);
    if (!Number.isInteger(id)) {
      throw new OcppError(
        "QUBIT_OCPP_COMMAND_INVALID",
        `1.6 transaction ids are integers, got ${JSON.stringify(transactionId)}`,
      );
    }
    return { action: "RemoteStopTransaction", payload: { transactionId: id } };
  }
  return {
    action: "RequestStopTransaction",
    payload: { transactionId: String(transactionId) },
  };
}

/**
 * Reset. 1.6 defines Soft and Hard; 2.0.1 OnIdle and Immediate. Soft maps to
 * OnIdle and Hard to Immediate, and back.
 */
export function reset(
  version: OcppVersion,
  type: "Soft" | "Hard" | "OnIdle" | "Immediate",
): Command {
  if (version === "1.6") {
    return {
      action: "Reset",
      payload: {
        type: type === "Hard" || type === "Immediate" ? "Hard" : "Soft",
      },
    };
  }
  return {
    action: "Reset",
    payload: {
      type: type === "Hard" || type === "Immediate" ? "Immediate" : "OnIdle",
    },
  };
}

/** TriggerMessage for a connector (1.6) or EVSE (2.0.1). */
export function triggerMessage(
  version: OcppVersion,
  requestedMessage: string,
  connectorId?: number,
): Command {
  const payload: Record<string, unknown> = { requestedMessage };
  if (connectorId !== undefined) {
    if (version === "1.6") payload.connectorId = connectorId;
    else payload.evse = { id: connectorId };
  }
  return { action: "TriggerMessage", payload };
}

/** SetChargingProfile on a connector (1.6) or EVSE (2.0.1); 0 is the whole station. */
export function setChargingProfile(
  version: OcppVersion,
  connectorId: number,
  input: ChargingProfileInput,
): Command {
  if (version === "1.6") {
    return {
      action: "SetChargingProfile",
      payload: { connectorId, csChargingProfiles: profile16(input) },
    };
  }
  return {
    action: "SetChargingProfile",
    payload: { evseId: connectorId, chargingProfile: profile201(input) },
  };
}

/** ClearChargingProfile by id or by criteria. */
export function clearChargingProfile(
  version: OcppVersion,
  criteria: {
    id?: number;
    connectorId?: number;
    purpose?: string;
    stackLevel?: number;
  },
): Command {
  if (version === "1.6") {
    const payload: Record<string, unknown> = {};
    if (criteria.id !== undefined) payload.id = criteria.id;
    if (criteria.connectorId !== undefined)
      payload.connectorId = criteria.connectorId;
    if (criteria.purpose !== undefined)
      payload.chargingProfilePurpose = criteria.purpose;
    if (criteria.stackLevel !== undefined)
      payload.stackLevel = criteria.stackLevel;
    return { action: "ClearChargingProfile", payload };
  }
  const payload: Record<string, unknown> = {};
  if (criteria.id !== undefined) payload.chargingProfileId = criteria.id;
  const filter: Record<string, unknown> = {};
  if (criteria.connectorId !== undefined) filter.evseId = criteria.connectorId;
  if (criteria.purpose !== undefined)
    filter.chargingProfilePurpose = criteria.purpose;
  if (criteria.stackLevel !== undefined)
    filter.stackLevel = criteria.stackLevel;
  if (Object.keys(filter).length > 0) payload.chargingProfileCriteria = filter;
  return { action: "ClearChargingProfile", payload };
}

/** GetCompositeSchedule for `duration` seconds. */
export function getCompositeSchedule(
  version: OcppVersion,
  connectorId: number,
  duration: number,
  chargingRateUnit?: "W" | "A",
): Command {
  const payload: Record<string, unknown> =
    version === "1.6"
      ? { connectorId, duration }
      : { evseId: connectorId, duration };
  if (chargingRateUnit !== undefined)
    payload.chargingRateUnit = chargingRateUnit;
  return { action: "GetCompositeSchedule", payload };
}

/** UpdateFirmware: 1.6 plain, 2.0.1 with the security fields when given. */
export function updateFirmware(
  version: OcppVersion,
  input: {
    location: string;
    retrieveDate: string;
    retries?: number;
    retryInterval?: number;
    signingCertificate?: string;
    signature?: string;
    installDate?: string;
  },
): Command {
  if (version === "1.6") {
    const payload: Record<string, unknown> = {
      location: input.location,
      retrieveDate: input.retrieveDate,
    };
    if (input.retries !== undefined) payload.retries = input.retries;
    if (input.retryInterval !== undefined)
      payload.retryInterval = input.retryInterval;
    return { action: "UpdateFirmware", payload };
  }
  const firmware: Record<string, unknown> = {
    location: input.location,
    retrieveDateTime: input.retrieveDate,
  };
  if (input.installDate !== undefined)
    firmware.installDateTime = input.installDate;
  if (input.signingCertificate !== undefined)
    firmware.signingCertificate = input.signingCertificate;
  if (input.signature !== undefined) firmware.signature = input.signature;
  const payload: Record<string, unknown> = {
    requestId: nextRequestId(),
    firmware,
  };
  if (input.retries !== undefined) payload.retries = input.retries;
  if (input.retryInterval !== undefined)
    payload.retryInterval = input.retryInterval;
  return { action: "UpdateFirmware", payload };
}

function profile16(input: ChargingProfileInput): Record<string, unknown> {
  const schedule: Record<string, unknown> = {
    chargingRateUnit: input.schedule.chargingRateUnit,
    chargingSchedulePeriod: input.schedule.periods,
  };
  if (input.schedule.duration !== undefined)
    schedule.duration = input.schedule.duration;
  if (input.schedule.startSchedule !== undefined)
    schedule.startSchedule = input.schedule.startSchedule;
  if (input.schedule.minChargingRate !== undefined)
    schedule.minChargingRate = input.schedule.minChargingRate;
  const profile: Record<string, unknown> = {
    chargingProfileId: input.id,
    stackLevel: input.stackLevel,
    chargingProfilePurpose:
      input.purpose === "ChargingStationMaxProfile"
        ? "ChargePointMaxProfile"
        : input.purpose,
    chargingProfileKind: input.kind,
    chargingSchedule: schedule,
  };
  if (input.recurrency !== undefined) profile.recurrencyKind = input.recurrency;
  if (input.validFrom !== undefined) profile.validFrom = input.validFrom;
  if (input.validTo !== undefined) profile.validTo = input.validTo;
  if (input.transactionId !== undefined)
    profile.transactionId = Number(input.transactionId);
  return profile;
}

function profile201(input: ChargingProfileInput): Record<string, unknown> {
  const schedule: Record<string, unknown> = {
    id: input.id,
    chargingRateUnit: input.schedule.chargingRateUnit,
    chargingSchedulePeriod: input.schedule.periods,
  };
  if (input.schedule.duration !== undefined)
    schedule.duration = input.schedule.duration;
  if (input.schedule.startSchedule !== undefined)
    schedule.startSchedule = input.schedule.startSchedule;
  if (input.schedule.minChargingRate !== undefined)
    schedule.minChargingRate = input.schedule.minChargingRate;
  const profile: Record<string, unknown> = {
    id: input.id,
    stackLevel: input.stackLevel,
    chargingProfilePurpose:
      input.purpose === "ChargePointMaxProfile"
        ? "ChargingStationMaxProfile"
        : input.purpose,
    chargingProfileKind: input.kind,
    chargingSchedule: [schedule],
  };
  if (input.recurrency !== undefined) profile.recurrencyKind = input.recurrency;
  if (input.validFrom !== undefined) profile.validFrom = input.validFrom;
  if (input.validTo !== undefined) profile.validTo = input.validTo;
  if (input.transactionId !== undefined)
    profile.transactionId = String(input.transactionId);
  return profile;
}
