import {
  createReading,
  type Quality,
  type ReadingSource,
  type TimeSeries,
} from "@qubit/core";
import type { CellValue } from "./values.js";

/** The fields of one reading that a row mapper has resolved. */
export interface ReadingFields {
  asset: string;
  metric: string;
  unit: string | undefined;
  /** ISO 8601 UTC timestamp. */
  timestamp: string;
  site: string | undefined;
  org: string | undefined;
  device: string | undefined;
  /** Quality from the quality column, if any. */
  quality: Quality | undefined;
  source: ReadingSource;
}

/**
 * Builds the reading of one value cell. A number is multiplied by
 * `factor`; a missing cell gives value null with quality missing, and a
 * cell with an invalid flag gives value null with quality error.
 */
export function buildReading(
  cell: CellValue,
  factor: number,
  fields: ReadingFields,
): TimeSeries {
  let value: number | boolean | string | null = null;
  let quality = fields.quality;
  let metadata: Record<string, unknown> | undefined;
  if (cell.kind === "value") {
    value = cell.value;
    if (typeof value === "number" && factor !== 1) {
      value = Number((value * factor).toPrecision(15));
    }
  } else if (cell.kind === "missing") {
    quality = "missing";
    metadata = { quality_reason: cell.reason };
  } else if (cell.kind === "flagged") {
    quality = "error";
    metadata = {
      quality_reason: `value flag ${JSON.stringify(cell.flag)} is not valid`,
      flagged_value: cell.value,
    };
  }
  return createReading({
    asset_id: fields.asset,
    metric: fields.metric,
    value,
    unit: fields.unit,
    timestamp: fields.timestamp,
    org_id: fields.org,
    site_id: fields.site,
    device_id: fields.device,
    quality: quality ?? "measured",
    source: fields.source,
    metadata,
  });
}
