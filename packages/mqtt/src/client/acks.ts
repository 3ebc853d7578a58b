/**
 * Sends QoS 1 acknowledgements in the order the messages arrived (MQTT
 * 3.1.1 section 4.6 requires PUBACKs in PUBLISH order), each once its
 * readings are accepted by the output. Acknowledgements of a connection
 * that has closed are dropped, because the broker sends those messages
 * again on the next connection of a persistent session.
 */
export class AckQueue {
  private readonly entries: {
    messageId: number;
    connection: number;
    state: "pending" | "accepted" | "failed";
  }[] = [];
  private head = 0;
  private connection = 0;

  constructor(
    private readonly send: (messageId: number) => void,
    private readonly onDrained: () => void = () => undefined,
  ) {}

  /** Messages received and not yet acknowledged. */
  get size(): number {
    return this.entries.length - this.head;
  }

  /** Starts a new connection: pending acknowledgements of the old one are dropped. */
  newConnection(): void {
    this.connection += 1;
    this.entries.length = 0;
    this.head = 0;
  }

  /** Tracks a message; it is acknowledged after `accepted` resolves. */
  track(messageId: number, accepted: Promise<void>): void {
    const entry = {
      messageId,
      connection: this.connection,
      state: "pending" as "pending" | "accepted" | "failed",
    };
    this.entries.push(entry);
    accepted.then(
      () => {
        entry.state = "accepted";
        this.drain();
      },
      () => {
        // Not accepted (the pipeline closed first): no PUBACK, so the
        // broker sends the message again.
        entry.state = "failed";
        this.drain();
      },
    );
  }

  private drain(): void {
    while (this.head < this.entries.length) {
      const entry = this.entries[this.head]!;
      if (entry.state === "pending") break;
      this.head += 1;
      if (entry.state === "accepted" && entry.connection === this.connection)
        this.send(entry.messageId);
    }
    if (this.head > 1024 && this.head * 2 > this.entries.length) {
      this.entries.splice(0, this.head);
      this.head = 0;
    }
    this.onDrained();
  }
}
