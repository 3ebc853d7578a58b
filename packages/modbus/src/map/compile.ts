import { type ConfigIssue, escapePointer, lookupUnit } from "@qubit/core";
import type { DeviceConfig, ModbusConfig, PointConfig } from "../config.js";
import { type CompiledPoint, compilePoint } from "./point.js";
import { getProfile, profileNames } from "./profiles.js";

/** SunSpec discovery settings of a device. */
export interface SunSpecSettings {
  /** 0-based holding register of the marker; undefined tries 40000, 50000, 0. */
  baseAddress?: number;
  /** Model ids to read; undefined reads every known model. */
  models?: readonly number[];
}

/** A device of a connection, resolved and checked, ready to poll. */
export interface CompiledDevice {
  name: string;
  unitId: number;
  assetId: string;
  siteId?: string;
  orgId?: string;
  deviceId?: string;
  points: CompiledPoint[];
  /** Milliseconds between polls of the points without their own interval. */
  intervalMs: number;
  maxGap: number;
  byteOrder: string;
  sunspec?: SunSpecSettings;
  /** Set once the SunSpec models were found and added to `points`. */
  sunspecDiscovered?: boolean;
  /** JSON pointer of the device in the config. */
  path: string;
}

/**
 * Turns the devices of a connection config into compiled devices: the
 * seed's flat form (registers at the top level) is one device named after
 * the connector, and `devices` adds one per unit id. Returns every issue
 * with its path; devices with errors are left out.
 */
export function compileDevices(
  config: ModbusConfig,
  connectorName: string,
  basePath = "",
): { devices: CompiledDevice[]; issues: ConfigIssue[] } {
  const issues: ConfigIssue[] = [];
  const devices: CompiledDevice[] = [];
  const topLevel =
    config.registers !== undefined ||
    config.profile !== undefined ||
    config.sunspec !== undefined;
  const entries: { device: DeviceConfig; path: string }[] = [];
  if (topLevel) {
    entries.push({
      device: { ...config, name: config.asset_id ?? connectorName },
      path: basePath,
    });
  }
  (config.devices ?? []).forEach((device, index) => {
    entries.push({ device, path: `${basePath}/devices/${index}` });
  });
  if (entries.length === 0) {
    issues.push({
      path: basePath,
      message: `connector "${connectorName}" has no devices, so it connects but reads nothing [QUBIT_MODBUS_NO_POINTS]`,
      fix: "add registers (a register map), a profile such as eastron-sdm630, sunspec: true, or devices",
      severity: "warning",
    });
  }

  const seen = new Map<string, string>();
  for (const { device, path } of entries) {
    const previous = seen.get(device.name);
    if (previous !== undefined) {
      issues.push({
        path: `${path}/name`,
        message: `device name "${device.name}" is already used at ${previous || "the top level"}`,
        value: device.name,
        fix: "give each device of a connection its own name",
        severity: "error",
      });
    }
    seen.set(device.name, path);
    const compiled = compileDevice(device, config, path, issues);
    if (compiled) devices.push(compiled);
  }
  return { devices, issues };
}

function compileDevice(
  device: DeviceConfig,
  connection: ModbusConfig,
  path: string,
  issues: ConfigIssue[],
): CompiledDevice | undefined {
  const errorsBefore = countErrors(issues);
  const profile =
    device.profile === undefined ? undefined : getProfile(device.profile);
  if (device.profile !== undefined && !profile) {
    issues.push({
      path: `${path}/profile`,
      message: `profile "${device.profile}" does not exist`,
      value: device.profile,
      fix: `use one of ${profileNames().join(", ")}`,
      severity: "error",
    });
    return undefined;
  }

  const intervalMs = Math.round(
    (device.polling_interval ?? connection.polling_interval ?? 5) * 1000,
  );
  const byteOrder =
    device.byte_order ??
    profile?.defaults?.byte_order ??
    connection.byte_order ??
    "ABCD";
  const addressing =
    device.addressing ??
    profile?.defaults?.addressing ??
    connection.addressing ??
    "modicon";
  const defaults = { byteOrder, addressing, intervalMs };

  const points: CompiledPoint[] = [];
  const sources: [string, PointConfig, string][] = [];
  for (const [name, point] of Object.entries(profile?.registers ?? {})) {
    if (device.registers?.[name] !== undefined) continue;
    sources.push([
      name,
      point,
      `${path}/profile(${profile!.name})/${escapePointer(name)}`,
    ]);
  }
  for (const [name, point] of Object.entries(device.registers ?? {})) {
    sources.push([name, point, `${path}/registers/${escapePointer(name)}`]);
  }
  for (const [name, point, pointPath] of sources) {
    if (point.enabled === false) continue;
    const result = compilePoint(name, point, defaults, pointPath);
    issues.push(...result.issues);
    if (result.point) points.push(result.point);
    checkUnit(device.name, name, point, pointPath, issues);
  }
  checkScaleFactors(points, issues);

  const sunspec = sunspecSettings(device, profile?.sunspec);
  if (points.length === 0 && !sunspec) {
    issues.push({
      path: `${path}/registers`,
      message: `device "${device.name}" has no points, so it reads nothing [QUBIT_MODBUS_NO_POINTS]`,
      fix: "add registers, a profile or sunspec: true",
      severity: "warning",
    });
  }
  if (countErrors(issues) > errorsBefore) return undefined;

  const compiled: CompiledDevice = {
    name: device.name,
    unitId: device.unit_id ?? connection.unit_id ?? 1,
    assetId: device.asset_id ?? device.name,
    points,
    intervalMs,
    maxGap: device.max_gap ?? connection.max_gap ?? 10,
    byteOrder,
    path,
  };
  const siteId = device.site_id ?? connection.site_id;
  const orgId = device.org_id ?? connection.org_id;
  const deviceId = device.device_id;
  if (siteId !== undefined) compiled.siteId = siteId;
  if (orgId !== undefined) compiled.orgId = orgId;
  if (deviceId !== undefined) compiled.deviceId = deviceId;
  if (sunspec) compiled.sunspec = sunspec;
  return compiled;
}

function sunspecSettings(
  device: DeviceConfig,
  fromProfile: { models?: number[] } | undefined,
): SunSpecSettings | undefined {
  const configured = device.sunspec;
  if (configured === false) return undefined;
  if (configured === undefined && !fromProfile) return undefined;
  const settings: SunSpecSettings = {};
  const models =
    (typeof configured === "object" ? configured.models : undefined) ??
    fromProfile?.models;
  if (models) settings.models = models;
  if (typeof configured === "object" && configured.base_address !== undefined) {
    settings.baseAddress = configured.base_address;
  }
  return settings;
}

function checkScaleFactors(
  points: CompiledPoint[],
  issues: ConfigIssue[],
): void {
  const byName = new Map(points.map((point) => [point.name, point]));
  for (const point of points) {
    if (point.scaleFactor === undefined) continue;
    const factor = byName.get(point.scaleFactor);
    if (factor?.type !== "int16") {
      issues.push({
        path: `${point.path}/scale_factor`,
        message: `point "${point.name}": scale_factor "${point.scaleFactor}" must name an int16 point of the same device`,
        value: point.scaleFactor,
        fix: "add the scale factor register as an int16 point, or remove scale_factor",
        severity: "error",
      });
    }
  }
}

/**
 * Warns about a unit that the core unit table does not know: its readings
 * are stored as received, without conversion to the base unit.
 */
function checkUnit(
  device: string,
  name: string,
  point: PointConfig,
  path: string,
  issues: ConfigIssue[],
): void {
  const unit = point.unit;
  if (unit === undefined || unit === "" || lookupUnit(unit)) return;
  issues.push({
    path: `${path}/unit`,
    message: `device "${device}" register "${name}": unit "${unit}" is not in the unit table, so its readings are stored without unit conversion [QUBIT_MODBUS_UNIT_UNKNOWN]`,
    value: unit,
    fix: "use a unit from the unit table (W, kW, Wh, kWh, V, A, Hz, celsius, percent, ...), or remove unit if the value has none",
    severity: "warning",
  });
}

function countErrors(issues: ConfigIssue[]): number {
  return issues.filter((issue) => issue.severity !== "warning").length;
}
