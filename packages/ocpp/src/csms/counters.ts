import type { BoundCounter, MetricsRegistry } from "@qubit/core";

/** A counter of the central system. */
export type CsmsCounter =
  | "calls"
  | "call_errors"
  | "bad_frames"
  | "duplicates"
  | "rate_limited"
  | "deviations"
  | "connections"
  | "refused";

/** Metric name, help text and the one label (if any) of each counter. */
const COUNTERS: Record<
  CsmsCounter,
  { name: string; help: string; label?: string }
> = {
  calls: {
    name: "ocpp_calls_total",
    help: "CALLs received from charge points, by action",
    label: "action",
  },
  call_errors: {
    name: "ocpp_call_errors_total",
    help: "CALLs answered with a CALLERROR, by code",
    label: "code",
  },
  bad_frames: {
    name: "ocpp_bad_frames_total",
    help: "Frames that are not OCPP-J CALLs or are too large",
    label: "code",
  },
  duplicates: {
    name: "ocpp_duplicate_calls_total",
    help: "CALLs resent with a known message id, answered again",
  },
  rate_limited: {
    name: "ocpp_rate_limited_calls_total",
    help: "CALLs refused because a charge point exceeded its rate",
  },
  deviations: {
    name: "ocpp_schema_deviations_total",
    help: "CALLs accepted with schema deviations, by action",
    label: "action",
  },
  connections: {
    name: "ocpp_connections_total",
    help: "WebSocket connections accepted",
  },
  refused: {
    name: "ocpp_connections_refused_total",
    help: "WebSocket upgrades refused (bad id, auth, subprotocol)",
    label: "reason",
  },
};

/**
 * The central system's counters, labelled with the connector name. Each
 * bound series is created once and then found by its label value, so
 * counting a CALL allocates nothing.
 */
export class CsmsCounters {
  private readonly bound = new Map<CsmsCounter, Map<string, BoundCounter>>();

  constructor(
    private readonly registry: MetricsRegistry,
    private readonly connectorName: string,
  ) {
    for (const counter of Object.keys(COUNTERS) as CsmsCounter[]) {
      const { name, help } = COUNTERS[counter];
      registry.counter(name, help);
      this.bound.set(counter, new Map());
    }
  }

  /**
   * Adds one to a counter. `label` is the value of the counter's label
   * (the action, code or reason); counters without a label ignore it.
   */
  count(counter: CsmsCounter, label = ""): void {
    const series = this.bound.get(counter)!;
    let found = series.get(label);
    if (!found) {
      const { name, help, label: labelName } = COUNTERS[counter];
      const labels: Record<string, string> = { connector: this.connectorName };
      if (labelName !== undefined) labels[labelName] = label;
      found = this.registry.counter(name, help).with(labels);
      series.set(label, found);
    }
    found.inc();
  }
}
