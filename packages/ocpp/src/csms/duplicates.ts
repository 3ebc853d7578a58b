/** A remembered answer to a CALL. */
export interface RememberedAnswer {
  /** Hash of the frame text, so a reused id with other content is not a duplicate. */
  hash: number;
  response?: Record<string, unknown>;
  error?: Error;
}

/**
 * Answers remembered per charge point. OCPP-J allows one CALL in flight
 * per direction, so a charger that reconnects resends one; 8 leaves room
 * for chargers that send a few at once. Each entry stays in memory for the
 * life of the process (about 190 bytes, measured with 300-byte frames).
 */
const PER_CHARGE_POINT = 8;

/**
 * The last answers per charge point, keyed by message id. A charger that
 * lost the connection before our answer arrived resends the CALL with the
 * same id and content; it gets the same answer, and the readings are not
 * counted twice. Kept across reconnects of the charger, in memory only.
 */
export class DuplicateCache {
  private readonly answers = new Map<string, Map<string, RememberedAnswer>>();

  /**
   * Returns the remembered answer when this exact frame was answered
   * before. The frame is hashed only when its message id is known.
   */
  find(
    identity: string,
    messageId: string,
    raw: string,
  ): RememberedAnswer | undefined {
    const answer = this.answers.get(identity)?.get(messageId);
    return answer && answer.hash === hashText(raw) ? answer : undefined;
  }

  /** Remembers the answer to a frame. */
  remember(
    identity: string,
    messageId: string,
    raw: string,
    answer: Omit<RememberedAnswer, "hash">,
  ): void {
    let answers = this.answers.get(identity);
    if (!answers) {
      answers = new Map();
      this.answers.set(identity, answers);
    }
    const remembered: RememberedAnswer = { hash: hashText(raw) };
    if (answer.response !== undefined) remembered.response = answer.response;
    if (answer.error !== undefined) remembered.error = answer.error;
    answers.delete(messageId);
    answers.set(messageId, remembered);
    if (answers.size > PER_CHARGE_POINT) {
      const oldest = answers.keys().next().value;
      if (oldest !== undefined) answers.delete(oldest);
    }
  }
}

/** FNV-1a, 32 bits: a cheap fingerprint of a frame, not a security hash. */
function hashText(text: string): number {
  let hash = 0x811c9dc5;
  for (let index = 0; index < text.length; index += 1) {
    hash ^= text.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}
