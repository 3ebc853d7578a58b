/** Progress of one file import, as `onProgress` callbacks receive it. */
export interface ImportProgress {
  file: string;
  /** Data rows (or JSON records) read so far, including skipped ones. */
  rows: number;
  readings: number;
  bad_rows: number;
  /** Bytes read from disk so far. */
  bytes: number;
  /** File size on disk; bytes / total_bytes is the share done. */
  total_bytes: number;
  elapsed_ms: number;
  rows_per_second: number;
  bytes_per_second: number;
  /** Estimated time left in ms, from the byte rate; undefined at first. */
  eta_ms: number | undefined;
  done: boolean;
}

/** Counts rows and bytes of one import and derives rates. */
export class ProgressTracker {
  rows = 0;
  readings = 0;
  badRows = 0;
  skippedRows = 0;
  bytes = 0;
  private readonly startedAt: number;
  private startBytes: number;
  private readonly startRows: number;

  constructor(
    readonly file: string,
    readonly totalBytes: number,
    private readonly now: () => number,
    start: { bytes: number; rows: number } = { bytes: 0, rows: 0 },
  ) {
    this.startedAt = now();
    this.bytes = start.bytes;
    this.rows = start.rows;
    this.startBytes = start.bytes;
    this.startRows = start.rows;
  }

  /** Counts bytes passed over without reading (a seek on resume). */
  skip(bytes: number): void {
    this.bytes += bytes;
    this.startBytes += bytes;
  }

  snapshot(done = false): ImportProgress {
    const elapsed = Math.max(1, this.now() - this.startedAt);
    const rowRate = ((this.rows - this.startRows) * 1000) / elapsed;
    const byteRate = ((this.bytes - this.startBytes) * 1000) / elapsed;
    const left = Math.max(0, this.totalBytes - this.bytes);
    return {
      file: this.file,
      rows: this.rows,
      readings: this.readings,
      bad_rows: this.badRows,
      bytes: Math.min(this.bytes, this.totalBytes),
      total_bytes: this.totalBytes,
      elapsed_ms: elapsed,
      rows_per_second: Math.round(rowRate),
      bytes_per_second: Math.round(byteRate),
      eta_ms: done
        ? 0
        : byteRate > 0 && elapsed >= 500
          ? Math.round((left * 1000) / byteRate)
          : undefined,
      done,
    };
  }
}

/** Formats a byte count: `512 B`, `3.2 MB`, `1.1 GB`. */
export function formatBytes(bytes: number): string {
  if (bytes < 1000) return `${bytes} B`;
  const units = ["kB", "MB", "GB", "TB"];
  let value = bytes;
  let unit = "B";
  for (const next of units) {
    if (value < 1000) break;
    value /= 1000;
    unit = next;
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${unit}`;
}

/** Formats a duration in ms as `1:05:09`, `5:09` or `9s`. */
export function formatDuration(ms: number | undefined): string {
  if (ms === undefined) return "--";
  const seconds = Math.round(ms / 1000);
  if (seconds < 60) return `${seconds}s`;
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = String(seconds % 60).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${s}` : `${m}:${s}`;
}

/**
 * Renders one progress line for a terminal: a bar of the bytes read,
 * rows, bytes, row rate and time left.
 */
export function renderProgressBar(
  progress: ImportProgress,
  width = 24,
): string {
  const share =
    progress.total_bytes > 0 ? progress.bytes / progress.total_bytes : 1;
  const filled = Math.round(Math.min(1, share) * width);
  const bar = `${"█".repeat(filled)}${"░".repeat(width - filled)}`;
  const percent = `${(Math.min(1, share) * 100).toFixed(0).padStart(3)}%`;
  const bad = progress.bad_rows > 0 ? ` ${progress.bad_rows} bad` : "";
  return `${bar} ${percent} ${progress.rows.toLocaleString("en-US")} rows${bad} ${formatBytes(progress.bytes)}/${formatBytes(progress.total_bytes)} ${progress.rows_per_second.toLocaleString("en-US")} rows/s ${progress.done ? "done" : `${formatDuration(progress.eta_ms)} left`}`;
}

/** Formats progress as one log-friendly line without a bar. */
export function formatProgressLine(progress: ImportProgress): string {
  const percent =
    progress.total_bytes > 0
      ? ((progress.bytes / progress.total_bytes) * 100).toFixed(1)
      : "100.0";
  const left = progress.done
    ? "done"
    : `${formatDuration(progress.eta_ms)} left`;
  return `${progress.file}: ${percent}% ${progress.rows} rows, ${progress.readings} readings, ${progress.bad_rows} bad rows, ${progress.rows_per_second} rows/s, ${left}`;
}
