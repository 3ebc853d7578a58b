/**
 * Sends QoS 1 acknowledgements in the order the messages arrived (MQTT
 * 3.1.1 section 4.6 requires PUBACKs in PUBLISH order), each once its
 * readings are accepted by the output. Acknowledgements of a connection
 * that has closed are dropped, because the broker sends those messages
 * again on the next connection of a persistent session.
 */
export class AckQueue {
  // Messages that share one promise (one pipeline batch) form one group
  // with one handler, instead of a handler and an entry per message.
  private readonly groups: AckGroup[] = [];
  private head = 0;
  private unacknowledged = 0;
  private connection = 0;

  /**
   * `send` writes the acknowledgement of one message. When `sendMany` is
   * given, it gets the messages that become ready together, in order, so
   * that their acknowledgements go out in one write.
   */
  constructor(
    private readonly send: (messageId: number) => void,
    private readonly onDrained: () => void = () => undefined,
    private readonly sendMany?: (messageIds: readonly number[]) => void,
  ) {}

  /** Messages received and not yet acknowledged. */
  get size(): number {
    return this.unacknowledged;
  }

  /** Starts a new connection: pending acknowledgements of the old one are dropped. */
  newConnection(): void {
    this.connection += 1;
    this.groups.length = 0;
    this.head = 0;
    this.unacknowledged = 0;
  }

  /** Tracks a message; it is acknowledged after `accepted` resolves. */
  track(messageId: number, accepted: Promise<void>): void {
    this.unacknowledged += 1;
    const last = this.groups[this.groups.length - 1];
    if (
      last !== undefined &&
      this.groups.length > this.head &&
      last.accepted === accepted &&
      last.connection === this.connection
    ) {
      last.messageIds.push(messageId);
      return;
    }
    const group: AckGroup = {
      accepted,
      connection: this.connection,
      messageIds: [messageId],
      state: "pending",
    };
    this.groups.push(group);
    accepted.then(
      () => {
        group.state = "accepted";
        this.drain();
      },
      () => {
        // Not accepted (the pipeline closed first): no PUBACK, so the
        // broker sends the messages again.
        group.state = "failed";
        this.drain();
      },
    );
  }

  private drain(): void {
    let ready: number[] | undefined;
    while (this.head < this.groups.length) {
      const group = this.groups[this.head]!;
      if (group.state === "pending") break;
      this.head += 1;
      this.unacknowledged -= group.messageIds.length;
      if (group.state !== "accepted" || group.connection !== this.connection) {
        continue;
      }
      ready =
        ready === undefined ? group.messageIds : ready.concat(group.messageIds);
    }
    if (ready !== undefined) {
      if (this.sendMany) this.sendMany(ready);
      else for (const messageId of ready) this.send(messageId);
    }
    if (this.head > 1024 && this.head * 2 > this.groups.length) {
      this.groups.splice(0, this.head);
      this.head = 0;
    }
    this.onDrained();
  }
}

interface AckGroup {
  accepted: Promise<void>;
  connection: number;
  /** Packet ids in arrival order. */
  messageIds: number[];
  state: "pending" | "accepted" | "failed";
}
