/** What {@link EnergyLabelCheck.observe} found for one meter value. */
export interface LabelVerdict {
  /** True once the register of this connector is suspect. */
  suspect: boolean;
  /** Set on the meter value that made it suspect. */
  finding?: {
    deltaWh: number;
    seconds: number;
    expectedWh: number;
    ratio: number;
  };
}

interface Window {
  anchorMs: number;
  anchorWh: number;
  powerSum: number;
  powerCount: number;
  suspect: boolean;
}

/**
 * Energy a window must imply before the check judges the label, in Wh. A
 * kWh register with whole-number resolution moves by 1 per 1000 Wh, so
 * below this a frozen-looking register proves nothing.
 */
const CONCLUSIVE_WH = 500;
/** Verdicts without a finding, shared so that each observation allocates none. */
const CLEAR: LabelVerdict = Object.freeze({ suspect: false });
const SUSPECT: LabelVerdict = Object.freeze({ suspect: true });
/** Ratios of implied to registered energy taken as a factor-1000 mix-up. */
const RATIO_LOW = 300;
const RATIO_HIGH = 3000;

/**
 * Checks an energy register's unit label against the power samples of the
 * same charger. A register labelled Wh that moves 1000 times slower than
 * the reported power implies is really in kWh (and the reverse). One
 * frame cannot show it, so the check keeps, per charger and connector, the
 * register value at the start of a window and the power samples since.
 * Once the implied energy is large enough, a ratio near 1000 (or 1/1000)
 * marks the register suspect from then on; a ratio near 1 starts a new
 * window.
 */
export class EnergyLabelCheck {
  /** Windows per charge point, then per connector (1.6) or EVSE (2.0.1). */
  private readonly windows = new Map<string, Map<number, Window>>();

  /**
   * Adds one meter value of a charger's connector: its time, the register
   * in Wh as labelled (when it has one) and the total active import power
   * in W (when it has it).
   */
  observe(
    identity: string,
    connectorId: number,
    epochMs: number,
    registerWh: number | undefined,
    powerW: number | undefined,
  ): LabelVerdict {
    let connectors = this.windows.get(identity);
    if (!connectors) {
      connectors = new Map();
      this.windows.set(identity, connectors);
    }
    const window = connectors.get(connectorId);
    if (window?.suspect) return SUSPECT;
    if (registerWh === undefined) {
      if (window && powerW !== undefined) {
        window.powerSum += powerW;
        window.powerCount += 1;
      }
      return CLEAR;
    }
    if (!window || registerWh < window.anchorWh || epochMs < window.anchorMs) {
      startWindow(connectors, connectorId, epochMs, registerWh, powerW);
      return CLEAR;
    }
    if (powerW !== undefined) {
      window.powerSum += powerW;
      window.powerCount += 1;
    }
    const seconds = (epochMs - window.anchorMs) / 1000;
    if (seconds <= 0 || window.powerCount === 0) return CLEAR;
    const expectedWh = ((window.powerSum / window.powerCount) * seconds) / 3600;
    if (expectedWh < CONCLUSIVE_WH) return CLEAR;
    const deltaWh = registerWh - window.anchorWh;
    if (deltaWh > 0) {
      const ratio = expectedWh / deltaWh;
      if (
        (ratio >= RATIO_LOW && ratio <= RATIO_HIGH) ||
        (ratio >= 1 / RATIO_HIGH && ratio <= 1 / RATIO_LOW)
      ) {
        window.suspect = true;
        return {
          suspect: true,
          finding: { deltaWh, seconds, expectedWh, ratio },
        };
      }
    }
    startWindow(connectors, connectorId, epochMs, registerWh, powerW);
    return CLEAR;
  }
}

/** Starts a new window, reusing the connector's old window object. */
function startWindow(
  connectors: Map<number, Window>,
  connectorId: number,
  epochMs: number,
  registerWh: number,
  powerW: number | undefined,
): void {
  let window = connectors.get(connectorId);
  if (!window) {
    window = {
      anchorMs: 0,
      anchorWh: 0,
      powerSum: 0,
      powerCount: 0,
      suspect: false,
    };
    connectors.set(connectorId, window);
  }
  window.anchorMs = epochMs;
  window.anchorWh = registerWh;
  window.powerSum = powerW ?? 0;
  window.powerCount = powerW === undefined ? 0 : 1;
  window.suspect = false;
}
