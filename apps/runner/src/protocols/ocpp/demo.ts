import { createServer } from "node:net";
import {
  ChargePointClient,
  ChargingSimulator,
  type OcppVersion,
} from "@qubit/ocpp";
import type { DemoPart } from "../types.js";

/** Returns a free TCP port on 127.0.0.1 (free when checked). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * `qubit demo`, OCPP part: our central system on a port picked before the
 * service starts, and two simulated charge points (one 1.6, one 2.0.1)
 * that reconnect until it listens, then charge in sessions with meter
 * values every second. The 1.6 charger also sends one malformed frame, so
 * the demo shows a dead letter.
 */
export const ocppDemo: DemoPart = {
  async start({ logger, durationMs }) {
    const port = await freePort();
    const url = `ws://127.0.0.1:${port}/ocpp`;
    const abort = new AbortController();
    const sessionS = Math.max(3, Math.min(60, (durationMs / 1000) * 0.5));
    const chargers: { id: string; version: OcppVersion }[] = [
      { id: "DEMO-CP-16", version: "1.6" },
      { id: "DEMO-CP-201", version: "2.0.1" },
    ];
    const clients = chargers.map(
      ({ id, version }) =>
        new ChargePointClient({
          version,
          url,
          identity: id,
          reconnectInitialDelayMs: 200,
          reconnectMaxDelayMs: 1_000,
          logger,
        }),
    );
    const runs = clients.map((client, index) => {
      client.start();
      const simulator = new ChargingSimulator(client, {
        sessions: 0,
        sessionDurationS: sessionS,
        meterIntervalS: 1,
        powerW: index === 0 ? 7_400 : 11_000,
        idTag: `DEMO-TAG-${index + 1}`,
        pauseS: 1,
      });
      return simulator.run(abort.signal).catch(() => undefined);
    });
    const first = clients[0] as ChargePointClient;
    void first.whenConnected().then(() => {
      setTimeout(() => {
        if (first.isConnected)
          first.sendRaw('[2,"demo-bad","MeterValues",{"connectorId":"one"}]');
      }, 500);
    });
    return {
      config: {
        name: "ocpp-csms",
        role: "central_system",
        host: "127.0.0.1",
        port,
        heartbeat_interval_s: 60,
      },
      description: `central system on ${url}; 2 simulated chargers (1.6 and 2.0.1) charging in ${Math.round(sessionS)} s sessions`,
      async stop() {
        abort.abort();
        await Promise.all(clients.map((client) => client.close()));
        await Promise.all(runs);
      },
    };
  },
};
