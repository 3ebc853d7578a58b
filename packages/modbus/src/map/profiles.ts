import sdm120 from "../../profiles/eastron-sdm120.json" with { type: "json" };
import sdm630 from "../../profiles/eastron-sdm630.json" with { type: "json" };
import sungrow from "../../profiles/sungrow-sh-hybrid.json" with {
  type: "json",
};
import sunspecInverter from "../../profiles/sunspec-inverter.json" with {
  type: "json",
};
import type { PointConfig } from "../config.js";

/**
 * A device profile: a register map for one device model, kept as a JSON
 * data file in `profiles/` and chosen by name with a device's `profile`.
 */
export interface DeviceProfile {
  name: string;
  description: string;
  /** Where the register map comes from, and its license. */
  source: string;
  notes?: string;
  /** Device settings the map assumes, overridable by the device config. */
  defaults?: {
    byte_order?: string;
    addressing?: "modicon" | "pdu" | "one_based";
  };
  registers?: Record<string, PointConfig>;
  /** Read the device's SunSpec models instead of (or besides) registers. */
  sunspec?: { models?: number[] };
}

const PROFILES: ReadonlyMap<string, DeviceProfile> = new Map(
  ([sdm630, sdm120, sungrow, sunspecInverter] as DeviceProfile[]).map(
    (profile) => [profile.name, profile],
  ),
);

/** Returns a built-in profile by name, or `undefined`. */
export function getProfile(name: string): DeviceProfile | undefined {
  return PROFILES.get(name);
}

/** Names of the built-in profiles. */
export function profileNames(): string[] {
  return [...PROFILES.keys()];
}
