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
  private readonly windows = new Map<string, Window>();

  /**
   * Adds one meter value: its time, the register in Wh as labelled (when
   * it has one) and the total active import power in W (when it has it).
   */
  observe(
    key: string,
    epochMs: number,
    registerWh: number | undefined,
    powerW: number | undefined,
  ): LabelVerdict {
    let window = this.windows.get(key);
    if (window?.suspect) return { suspect: true };
    if (registerWh === undefined) {
      if (window && powerW !== undefined) {
        window.powerSum += powerW;
        window.powerCount += 1;
      }
      return { suspect: false };
    }
    if (!window || registerWh < window.anchorWh || epochMs < window.anchorMs) {
      window = this.startWindow(key, epochMs, registerWh, powerW);
      return { suspect: false };
    }
    if (powerW !== undefined) {
      window.powerSum += powerW;
      window.powerCount += 1;
    }
    const seconds = (epochMs - window.anchorMs) / 1000;
    if (seconds <= 0 || window.powerCount === 0) return { suspect: false };
    const expectedWh = ((window.powerSum / window.powerCount) * seconds) / 3600;
    if (expectedWh < CONCLUSIVE_WH) return { suspect: false };
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
    this.startWindow(key, epochMs, registerWh, powerW);
    return { suspect: false };
  }

  private startWindow(
    key: string,
    epochMs: number,
    registerWh: number,
    powerW: number | undefined,
  ): Window {
    const window: Window = {
      anchorMs: epochMs,
      anchorWh: registerWh,
      powerSum: powerW ?? 0,
      powerCount: powerW === undefined ? 0 : 1,
      suspect: false,
    };
    this.windows.set(key, window);
    return window;
  }
}
