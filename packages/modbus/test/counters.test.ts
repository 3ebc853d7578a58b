import { MemoryStateStore } from "@qubit/core";
import { describe, expect, it } from "vitest";
import { CounterTracker } from "../src/index.js";

describe("counter checks", () => {
  it("passes a rising counter", () => {
    const tracker = new CounterTracker();
    expect(tracker.check("e", 10, 0).kind).toBe("ok");
    expect(tracker.check("e", 12, 60_000).kind).toBe("ok");
  });

  it("flags a decrease", () => {
    const tracker = new CounterTracker();
    tracker.check("e", 32784, 0);
    expect(tracker.check("e", 32752, 60_000)).toMatchObject({
      kind: "decreased",
      previous: 32784,
    });
  });

  it("flags a rollover near the raw maximum", () => {
    const tracker = new CounterTracker();
    tracker.check("e", 65530, 0);
    expect(tracker.check("e", 4, 1000, { rawMax: 65535 }).kind).toBe(
      "rollover",
    );
  });

  it("flags a jump above max_rate", () => {
    const tracker = new CounterTracker();
    tracker.check("e", 100, 0);
    expect(tracker.check("e", 100_000, 1000, { maxRate: 50 }).kind).toBe(
      "jump",
    );
  });

  it("keeps references in the state store", () => {
    const state = new MemoryStateStore();
    new CounterTracker(state).check("e", 500, 0);
    expect(new CounterTracker(state).check("e", 400, 1000).kind).toBe(
      "decreased",
    );
  });
});
