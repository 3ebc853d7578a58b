import WebSocket from "ws";

/**
 * A hand-written OCPP-J peer on a raw `ws` socket: it sends frames as
 * text, exactly as given, and collects what comes back. It is the second,
 * independent client implementation the central system is tested with.
 */
export class RawClient {
  readonly received: string[] = [];
  private constructor(readonly socket: WebSocket) {
    socket.on("message", (data) => this.received.push(data.toString()));
  }

  /** Opens a socket; rejects with the HTTP status when the upgrade is refused. */
  static open(
    url: string,
    protocols: string[],
    options: WebSocket.ClientOptions = {},
  ): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(url, protocols, options);
      socket.once("open", () => resolve(new RawClient(socket)));
      socket.once("unexpected-response", (_request, response) => {
        reject(
          Object.assign(new Error(`HTTP ${response.statusCode}`), {
            status: response.statusCode,
          }),
        );
        socket.terminate();
      });
      socket.once("error", reject);
    });
  }

  /** Sends a frame and waits for the answer with the given message id. */
  async request(
    frame: string,
    messageId: string,
    timeoutMs = 5_000,
  ): Promise<unknown[]> {
    const start = this.received.length;
    this.socket.send(frame);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      for (const text of this.received.slice(start)) {
        const parsed = JSON.parse(text) as unknown[];
        if (parsed[1] === messageId) return parsed;
      }
      if (Date.now() > deadline)
        throw new Error(
          `no answer to ${messageId}; got ${JSON.stringify(this.received.slice(start))}`,
        );
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (this.socket.readyState === WebSocket.CLOSED) return resolve();
      this.socket.once("close", () => resolve());
      this.socket.close();
    });
  }
}
