import {
  type ConnectorContext,
  MemoryDeadLetterOutput,
  MemoryOutput,
  MemoryStateStore,
  Pipeline,
  type StateStore,
} from "@qubit/core";
import { Value } from "@sinclair/typebox/value";
import {
  type CentralSystemConfig,
  CentralSystemConfigSchema,
} from "../../src/config.js";
import { CentralSystemConnector } from "../../src/csms/central-system.js";

/** A central system on 127.0.0.1 and a free port, with memory outputs. */
export interface TestCsms {
  csms: CentralSystemConnector;
  output: MemoryOutput;
  deadLetters: MemoryDeadLetterOutput;
  pipeline: Pipeline;
  state: StateStore;
  url: string;
  stop(): Promise<void>;
}

/** Starts a central system with config overrides; stop it in afterAll. */
export async function startCsms(
  overrides: Partial<CentralSystemConfig> = {},
  context: ConnectorContext = {},
): Promise<TestCsms> {
  const config = Value.Default(CentralSystemConfigSchema, {
    role: "central_system",
    host: "127.0.0.1",
    port: 0,
    ...overrides,
  }) as CentralSystemConfig;
  const state = context.state ?? new MemoryStateStore();
  const output = new MemoryOutput();
  const deadLetters = new MemoryDeadLetterOutput();
  const pipeline = new Pipeline({
    outputs: [output],
    deadLetters: [deadLetters],
    batchIntervalMs: 5,
    dedupWindow: 0,
  });
  await pipeline.open();
  const csms = new CentralSystemConnector(config, { ...context, state });
  csms.attach(pipeline);
  await csms.connect();
  const scheme = config.tls ? "wss" : "ws";
  return {
    csms,
    output,
    deadLetters,
    pipeline,
    state,
    url: `${scheme}://127.0.0.1:${csms.port}${config.path}`,
    async stop() {
      await csms.disconnect();
      await pipeline.close();
    },
  };
}

/** Waits until a condition holds, polling; fails after the timeout. */
export async function waitFor(
  condition: () => boolean,
  timeoutMs = 10_000,
  what = "condition",
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
