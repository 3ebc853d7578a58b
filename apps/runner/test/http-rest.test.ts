import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import { allPlugins, loadConfig, Service } from "../src/index.js";

const dir = mkdtempSync(join(tmpdir(), "qubit-http-rest-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("rest connector in the service", () => {
  it("polls into the store and keeps its cursor across restarts", async () => {
    const seen: (string | null)[] = [];
    const server = createServer((request, response) => {
      const url = new URL(request.url ?? "/", "http://127.0.0.1");
      const since = url.searchParams.get("from");
      seen.push(since);
      const points = [0, 1, 2, 3]
        .map((minute) => ({
          t: Date.UTC(2024, 5, 1, 0, minute) / 1000,
          w: 100 * minute,
        }))
        .filter((point) => since === null || point.t > Number(since));
      response.writeHead(200, { "content-type": "application/json" });
      response.end(JSON.stringify({ site: "s-1", series: points }));
    });
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const input = {
      data_dir: join(dir, "data"),
      server: { enabled: false },
      rest: {
        name: "portal",
        url: `${base}/power`,
        polling_interval: 0.2,
        records: "$.series[*]",
        timestamp_format: "epoch_s",
        mapping: {
          timestamp: "t",
          asset_id: "$.site",
          metric: { const: "power" },
          value: "w",
          unit: "W",
        },
        since: { param: "from", format: "epoch_s" },
      },
    };
    const plugins = allPlugins();
    const count = () => {
      const db = new Database(join(dir, "data", "qubit.db"), {
        readonly: true,
      });
      try {
        return (
          db
            .prepare(
              "SELECT COUNT(*) AS n FROM readings WHERE connector = 'portal'",
            )
            .get() as { n: number }
        ).n;
      } finally {
        db.close();
      }
    };
    try {
      for (let round = 0; round < 2; round += 1) {
        const service = new Service(
          loadConfig(input, plugins, { env: {} }).config,
          { plugins },
        );
        await service.start();
        const polls = seen.length;
        const deadline = Date.now() + 15_000;
        while (seen.length < polls + 2 && Date.now() < deadline)
          await new Promise((resolve) => setTimeout(resolve, 50));
        await service.stop();
      }
      expect(seen[0]).toBeNull();
      expect(
        seen
          .slice(1)
          .every(
            (since) => since === String(Date.UTC(2024, 5, 1, 0, 3) / 1000),
          ),
      ).toBe(true);
      expect(count()).toBe(4);
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });
});
