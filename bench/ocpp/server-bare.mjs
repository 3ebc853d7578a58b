// The yardstick: a bare ocpp-rpc server in strict mode that only sends responses.
// Started by index.mjs as a child process; reports its port over IPC.
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { handleProfileCommand } from "./profile.mjs";

const require = createRequire(
  fileURLToPath(new URL("../../packages/ocpp/package.json", import.meta.url)),
);
const { RPCServer } = require("ocpp-rpc");

const server = new RPCServer({ protocols: ["ocpp1.6"], strictMode: true });
let transactionId = 0;
server.on("client", (client) => {
  client.handle("BootNotification", () => ({
    status: "Accepted",
    currentTime: new Date().toISOString(),
    interval: 300,
  }));
  client.handle("StartTransaction", () => ({
    transactionId: ++transactionId,
    idTagInfo: { status: "Accepted" },
  }));
  client.handle("MeterValues", () => ({}));
});
const http = await server.listen(0, "127.0.0.1");
process.send({ ready: true, port: http.address().port, path: "" });
process.on("message", async (message) => {
  if (await handleProfileCommand(message)) return;
  if (message.cmd === "stop") {
    await server.close({ force: true });
    process.exit(0);
  }
});
