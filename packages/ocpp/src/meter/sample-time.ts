import {
  clockProblem,
  EARLIEST_CLOCK_MS,
  parseOcppTimestamp,
} from "../timestamps.js";
import { locationOf } from "./notes.js";
import type { MeterContext } from "./sampled-values.js";

/** The time given to the readings of one meter value. */
export interface SampleTime {
  epochMs: number;
  /** The timestamp had no zone designator and was read as UTC. */
  zoneMissing: boolean;
  /** Reason the time rests on an assumption, which marks the readings estimated. */
  reason?: string;
  /** The charger's timestamp as sent, when the receive time replaced it. */
  deviceTimestamp?: string;
}

const ZONE_MISSING_REASON = "timestamp without zone, read as UTC";

/**
 * Reads the timestamp of each meter value of one list. An unreadable one
 * gives `undefined` (the meter value is rejected). A timestamp that a set
 * clock cannot give (see `clockProblem`) is replaced by the receive time.
 * Such meter values of one message keep their spacing: the latest gets
 * the receive time, and each other one as much less as it had. A result
 * before 2000 falls back to the receive time. One
 * diagnostic per message names the charge point, the message id and the
 * first such timestamp. NOTE: meter values that share one wrong
 * timestamp still share the new time, so their readings share ids and
 * the pipeline keeps the first of each metric.
 */
export function placeOnClock(
  meterValues: readonly unknown[],
  context: MeterContext,
  pointer: string,
): (SampleTime | undefined)[] {
  const receivedAt = context.receivedAt;
  const times: (SampleTime | undefined)[] = [];
  let wrongCount = 0;
  for (const element of meterValues) {
    const parsed = parseOcppTimestamp(timestampOf(element));
    if (!parsed.ok) {
      times.push(undefined);
      continue;
    }
    // The parsed object serves as the time: one object per meter value.
    const time: SampleTime = parsed;
    if (time.zoneMissing) time.reason = ZONE_MISSING_REASON;
    if (clockProblem(time.epochMs, receivedAt) !== undefined) wrongCount += 1;
    times.push(time);
  }
  if (wrongCount > 0) useReceiveTime(meterValues, times, context, pointer);
  return times;
}

/** Replaces the times of an unset clock and reports them once. */
function useReceiveTime(
  meterValues: readonly unknown[],
  times: (SampleTime | undefined)[],
  context: MeterContext,
  pointer: string,
): void {
  const receivedAt = context.receivedAt;
  const problems = times.map((time) =>
    time === undefined ? undefined : clockProblem(time.epochMs, receivedAt),
  );
  let latestWrong = Number.NEGATIVE_INFINITY;
  let firstWrong = -1;
  let wrongCount = 0;
  for (let index = 0; index < times.length; index += 1) {
    if (problems[index] === undefined) continue;
    wrongCount += 1;
    if (firstWrong < 0) firstWrong = index;
    latestWrong = Math.max(latestWrong, times[index]!.epochMs);
  }

  for (let index = 0; index < times.length; index += 1) {
    const time = times[index];
    const problem = problems[index];
    if (time === undefined || problem === undefined) continue;
    const shifted = receivedAt - (latestWrong - time.epochMs);
    time.epochMs = shifted < EARLIEST_CLOCK_MS ? receivedAt : shifted;
    time.deviceTimestamp = timestampText(meterValues[index]);
    const clockReason = `charger timestamp ${time.deviceTimestamp} is ${problem} (clock not set); the receive time was used`;
    time.reason =
      time.reason === undefined
        ? clockReason
        : `${time.reason}; ${clockReason}`;
  }

  const sent = timestampText(meterValues[firstWrong]);
  const others = wrongCount - 1;
  const more =
    others === 0
      ? ""
      : ` (and ${others} more meter value${others === 1 ? "" : "s"})`;
  const messageId = (context.source as Record<string, unknown>).message_id;
  context.notes.diagnostic({
    code: "QUBIT_OCPP_TIMESTAMP_OUT_OF_RANGE",
    message: `meterValue timestamp ${sent}${more} from charge point ${context.identity} in message ${String(messageId)} is ${problems[firstWrong]}, so the charger's clock is probably not set; its readings use the receive time ${new Date(receivedAt).toISOString()} and are marked estimated`,
    location: locationOf(context, `${pointer}/${firstWrong}/timestamp`),
    value: sent,
    fix: "set the charger's clock (NTP, or the time in BootNotification and Heartbeat responses)",
  });
}

function timestampOf(element: unknown): unknown {
  return (element as Record<string, unknown> | null | undefined)?.timestamp;
}

function timestampText(element: unknown): string {
  const value = timestampOf(element);
  return typeof value === "string" ? value : String(value);
}
