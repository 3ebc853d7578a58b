import { createServer, type Server } from "node:net";
import { Aedes } from "aedes";
import type { DemoPart, DemoRun } from "../types.js";

const METERS = ["meter_01", "meter_02", "meter_03"];
const SHELLY = "shellypro3em-demo01";
const PUBLISH_INTERVAL_MS = 1_000;
// Every this many rounds one meter sends a truncated payload, so the demo
// shows a dead letter next to the valid readings.
const MALFORMED_EVERY = 5;

/**
 * `qubit demo`, MQTT part: an aedes broker in this process on a free
 * port, three simulated meters publishing multi-value JSON every second
 * under the product's topic hierarchy, and a simulated Shelly Pro 3EM
 * read through the shelly preset.
 */
export const mqttDemo: DemoPart = {
  async start(): Promise<DemoRun> {
    const broker = await Aedes.createBroker();
    const server: Server = createServer(broker.handle);
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(0, "127.0.0.1", () => resolve());
    });
    const address = server.address();
    const port = typeof address === "object" && address ? address.port : 0;

    const energyKwh = METERS.map((_, index) => 1_000 + index * 250);
    let round = 0;
    const publish = (topic: string, payload: string) =>
      broker.publish(
        {
          cmd: "publish",
          topic,
          payload: Buffer.from(payload),
          qos: 1,
          retain: false,
          dup: false,
        },
        () => undefined,
      );
    const timer = setInterval(() => {
      round += 1;
      const now = new Date();
      METERS.forEach((meter, index) => {
        const topic = `org_demo/site_demo/${meter}/em_${index + 1}/telemetry`;
        if (round % MALFORMED_EVERY === 0 && index === 0) {
          publish(
            topic,
            `{"timestamp":"${now.toISOString()}","active_power":{"value":`,
          );
          return;
        }
        const powerKw = 2 + index + Math.sin(round / 10 + index) * 1.5;
        energyKwh[index]! += (powerKw * PUBLISH_INTERVAL_MS) / 3_600_000;
        publish(
          topic,
          JSON.stringify({
            timestamp: now.toISOString(),
            active_power: { value: round4(powerKw), unit: "kW" },
            voltage: {
              value: round4(230 + Math.sin(round / 7) * 2),
              unit: "V",
            },
            current: { value: round4((powerKw * 1000) / 230), unit: "A" },
            energy: { value: round4(energyKwh[index]!), unit: "kWh" },
          }),
        );
      });
      publish(`${SHELLY}/status/em:0`, JSON.stringify(shellyStatus(round)));
    }, PUBLISH_INTERVAL_MS);

    return {
      config: {
        name: "mqtt",
        broker: `mqtt://127.0.0.1:${port}`,
        topics: ["org_demo/#", `${SHELLY}/status/+`],
        qos: 1,
        presets: ["shelly"],
        reconnect_initial_delay_ms: 200,
      },
      description: `aedes broker on 127.0.0.1:${port}, 3 meters and a Shelly Pro 3EM publishing every second (one malformed payload every ${MALFORMED_EVERY} s)`,
      async stop() {
        clearInterval(timer);
        await new Promise<void>((resolve) => broker.close(() => resolve()));
        await new Promise<void>((resolve) => server.close(() => resolve()));
      },
    };
  },
};

function shellyStatus(round: number): Record<string, number | null> {
  const phase = (offset: number) => 230 + Math.sin(round / 5 + offset);
  const power = [420, 180, 60].map((base, index) =>
    round4(base + Math.sin(round / 3 + index) * 40),
  );
  return {
    id: 0,
    a_act_power: power[0]!,
    b_act_power: power[1]!,
    c_act_power: power[2]!,
    a_voltage: round4(phase(0)),
    b_voltage: round4(phase(2)),
    c_voltage: round4(phase(4)),
    n_current: null,
    total_act_power: round4(power[0]! + power[1]! + power[2]!),
  };
}

function round4(value: number): number {
  return Math.round(value * 10_000) / 10_000;
}
