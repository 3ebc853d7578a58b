import type { BoundCounter, BoundGauge, MetricsRegistry } from "@qubit/core";

/** A counter of the central system. */
export type CsmsCounter =
  | "calls"
  | "call_errors"
  | "bad_frames"
  | "duplicates"
  | "rate_limited"
  | "deviations"
  | "connections"
  | "refused"
  | "socket_errors";

/** Metric name, help text and the one label (if any) of each counter. */
const COUNTERS: Record<
  CsmsCounter,
  { name: string; help: string; label?: string }
> = {
  calls: {
    name: "qubit_ocpp_calls_total",
    help: "CALLs received from charge points, by action",
    label: "action",
  },
  call_errors: {
    name: "qubit_ocpp_call_errors_total",
    help: "CALLs and bad frames rejected with a CALLERROR, by CALLERROR code",
    label: "code",
  },
  bad_frames: {
    name: "qubit_ocpp_bad_frames_total",
    help: "Frames rejected before handling (not OCPP-J, too large, too deep), by code",
    label: "code",
  },
  duplicates: {
    name: "qubit_ocpp_duplicate_calls_total",
    help: "CALLs resent with a known message id, answered again",
  },
  rate_limited: {
    name: "qubit_ocpp_rate_limited_calls_total",
    help: "CALLs refused because a charge point exceeded its rate",
  },
  deviations: {
    name: "qubit_ocpp_schema_deviations_total",
    help: "CALLs accepted with schema deviations, by action",
    label: "action",
  },
  connections: {
    name: "qubit_ocpp_connections_total",
    help: "WebSocket connections accepted",
  },
  refused: {
    name: "qubit_ocpp_connections_refused_total",
    help: "WebSocket upgrades refused (bad id, auth, subprotocol)",
    label: "reason",
  },
  socket_errors: {
    name: "qubit_ocpp_socket_errors_total",
    help: "WebSocket errors that closed a charge point connection, by ws code",
    label: "code",
  },
};

/** Name of the gauge of connected charge points. */
export const CONNECTED_GAUGE = "qubit_ocpp_charge_points_connected";

/**
 * The metrics of a central system or proxy, labelled with the connector
 * name: the counters above and the gauge of connected charge points.
 * Each bound series is created once and then found by its label value,
 * so counting a CALL allocates nothing.
 */
export class CsmsCounters {
  private readonly bound = new Map<CsmsCounter, Map<string, BoundCounter>>();
  private readonly connected: BoundGauge;

  constructor(
    private readonly registry: MetricsRegistry,
    private readonly connectorName: string,
  ) {
    for (const counter of Object.keys(COUNTERS) as CsmsCounter[]) {
      const { name, help } = COUNTERS[counter];
      registry.counter(name, help);
      this.bound.set(counter, new Map());
    }
    this.connected = registry
      .gauge(CONNECTED_GAUGE, "Charge points connected now")
      .with({ connector: connectorName });
    this.connected.set(0);
  }

  /** Sets the gauge of connected charge points. */
  setConnected(count: number): void {
    this.connected.set(count);
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
