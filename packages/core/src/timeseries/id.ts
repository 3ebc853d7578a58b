// The id is two independent 53-bit hashes (cyrb53 construction, public
// domain) of the identifying fields: 106 bits keep collisions negligible
// across billions of readings, at a fraction of a crypto hash's cost.

/** The fields that identify one reading. */
export interface ReadingKey {
  org_id?: string | undefined;
  site_id?: string | undefined;
  asset_id: string;
  device_id?: string | undefined;
  metric: string;
  timestamp: string;
}

/**
 * Computes the deterministic id of a reading from the fields that say
 * which value it is (org, site, asset, device, metric and timestamp), not
 * from the value, so a retry, a replay or a re-import produces the same id
 * and a store keeps one row. The result is `r_` and 28 hex digits.
 */
export function readingId(key: ReadingKey): string {
  // The hashes run over the fields joined by U+001F, field by field
  // instead of on a joined string: building and flattening that string
  // cost as much as hashing it. Each pair of lanes equals cyrb53(text,
  // seed) of the joined text.
  hashPlace(
    key.org_id ?? "",
    key.site_id ?? "",
    key.asset_id,
    key.device_id ?? "",
  );
  hashText(key.metric);
  hashSeparator();
  hashText(key.timestamp);
  const first = finish(laneA1, laneA2);
  const second = finish(laneB1, laneB2);
  const id = formatId(first, second);
  rememberMadeId(id, first, second);
  return id;
}

// The last ids made, with their hashes split into four 28-bit words, in
// 256 places chosen by the id's last two hex digits. The pipeline's
// de-duplication reads an id as those words. The id it reads was
// usually made moments before, so its 28 hex digits need no parsing.
const MADE_PLACES = 256;
const madeIds: (string | undefined)[] = new Array<string | undefined>(
  MADE_PLACES,
).fill(undefined);
const madeWords = new Uint32Array(MADE_PLACES * 4);
const WORD = 268_435_456; // 2^28: seven hex digits

function madePlace(id: string): number {
  return ((id.charCodeAt(28) << 4) ^ id.charCodeAt(29)) & (MADE_PLACES - 1);
}

function rememberMadeId(id: string, first: number, second: number): void {
  const place = madePlace(id);
  madeIds[place] = id;
  const base = place * 4;
  const firstHigh = Math.floor(first / WORD);
  const secondHigh = Math.floor(second / WORD);
  madeWords[base] = firstHigh;
  madeWords[base + 1] = first - firstHigh * WORD;
  madeWords[base + 2] = secondHigh;
  madeWords[base + 3] = second - secondHigh * WORD;
}

/**
 * Reads an id of the form readingId makes (`r_` and 28 lowercase hex
 * digits) into four numbers of seven hex digits each, in `words`.
 * Returns false, leaving `words` as they were, for an id of another form.
 * Two ids give the same words only when they are the same text.
 */
export function readIdWords(id: string, words: Uint32Array): boolean {
  if (id.length !== 30) return false;
  const place = madePlace(id);
  if (madeIds[place] === id) {
    const base = place * 4;
    words[0] = madeWords[base]!;
    words[1] = madeWords[base + 1]!;
    words[2] = madeWords[base + 2]!;
    words[3] = madeWords[base + 3]!;
    return true;
  }
  if (id.charCodeAt(0) !== 114 || id.charCodeAt(1) !== 95) return false;
  const word0 = hexWord(id, 2);
  const word1 = hexWord(id, 9);
  const word2 = hexWord(id, 16);
  const word3 = hexWord(id, 23);
  if ((word0 | word1 | word2 | word3) < 0) return false;
  words[0] = word0;
  words[1] = word1;
  words[2] = word2;
  words[3] = word3;
  return true;
}

/** Values of the lowercase hex digits by character code; -1 for others. */
const HEX_VALUES = new Int8Array(128).fill(-1);
for (let digit = 0; digit < 16; digit += 1) {
  HEX_VALUES[digit.toString(16).charCodeAt(0)] = digit;
}

/** Reads seven lowercase hex digits at `start`; -1 when one is not. */
function hexWord(text: string, start: number): number {
  let value = 0;
  for (let index = start; index < start + 7; index += 1) {
    const code = text.charCodeAt(index);
    const digit = code < 128 ? HEX_VALUES[code]! : -1;
    if (digit < 0) return -1;
    value = (value << 4) | digit;
  }
  return value;
}

const SEED_A = 0x5a17;
const SEED_B = 0x3c6e;
const SEPARATOR = 0x1f;

// The four hash lanes of the id being computed. readingId is synchronous,
// so one set is enough.
let laneA1 = 0;
let laneA2 = 0;
let laneB1 = 0;
let laneB2 = 0;

/** The hash lanes after the org, site, asset and device of a reading. */
interface Place {
  org: string;
  site: string;
  asset: string;
  device: string;
  a1: number;
  a2: number;
  b1: number;
  b2: number;
}

// Readings of one device poll, and the messages of one topic, share the
// place fields, so the lanes after them are kept: for the last place, and
// by asset id for up to MAX_PLACES places.
const MAX_PLACES = 4096;
const places = new Map<string, Place>();
let lastPlace: Place | undefined;

/** Sets the lanes to the hash of the place fields, each followed by U+001F. */
function hashPlace(
  org: string,
  site: string,
  asset: string,
  device: string,
): void {
  let place = lastPlace;
  if (!isPlace(place, org, site, asset, device)) {
    place = places.get(asset);
    if (!isPlace(place, org, site, asset, device)) {
      place = computePlace(org, site, asset, device);
      if (places.size >= MAX_PLACES) places.clear();
      places.set(asset, place);
    }
    lastPlace = place;
  }
  laneA1 = place.a1;
  laneA2 = place.a2;
  laneB1 = place.b1;
  laneB2 = place.b2;
}

function isPlace(
  place: Place | undefined,
  org: string,
  site: string,
  asset: string,
  device: string,
): place is Place {
  return (
    place !== undefined &&
    place.asset === asset &&
    place.device === device &&
    place.site === site &&
    place.org === org
  );
}

function computePlace(
  org: string,
  site: string,
  asset: string,
  device: string,
): Place {
  laneA1 = 0xdeadbeef ^ SEED_A;
  laneA2 = 0x41c6ce57 ^ SEED_A;
  laneB1 = 0xdeadbeef ^ SEED_B;
  laneB2 = 0x41c6ce57 ^ SEED_B;
  hashText(org);
  hashSeparator();
  hashText(site);
  hashSeparator();
  hashText(asset);
  hashSeparator();
  hashText(device);
  hashSeparator();
  return {
    org,
    site,
    asset,
    device,
    a1: laneA1,
    a2: laneA2,
    b1: laneB1,
    b2: laneB2,
  };
}

function hashText(text: string): void {
  let a1 = laneA1;
  let a2 = laneA2;
  let b1 = laneB1;
  let b2 = laneB2;
  for (let index = 0; index < text.length; index += 1) {
    const code = text.charCodeAt(index);
    a1 = Math.imul(a1 ^ code, 2654435761);
    a2 = Math.imul(a2 ^ code, 1597334677);
    b1 = Math.imul(b1 ^ code, 2654435761);
    b2 = Math.imul(b2 ^ code, 1597334677);
  }
  laneA1 = a1;
  laneA2 = a2;
  laneB1 = b1;
  laneB2 = b2;
}

function hashSeparator(): void {
  laneA1 = Math.imul(laneA1 ^ SEPARATOR, 2654435761);
  laneA2 = Math.imul(laneA2 ^ SEPARATOR, 1597334677);
  laneB1 = Math.imul(laneB1 ^ SEPARATOR, 2654435761);
  laneB2 = Math.imul(laneB2 ^ SEPARATOR, 1597334677);
}

function finish(first: number, second: number): number {
  let h1 = first;
  let h2 = second;
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507);
  h1 ^= Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507);
  h2 ^= Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}

/** Character codes of the hex digits 0 to f. */
const HEX_CODES = Array.from({ length: 16 }, (_, digit) =>
  digit.toString(16).charCodeAt(0),
);

/**
 * Formats the id of two 53-bit hashes: `r_` and each as 14 hex digits,
 * the same text as `value.toString(16).padStart(14, "0")`. One
 * String.fromCharCode call gives a flat string. Joining 2-digit pieces
 * gave a tree of string parts, which every reader of the id flattened.
 */
function formatId(first: number, second: number): string {
  const firstHigh = Math.floor(first / 4294967296);
  const firstLow = first >>> 0;
  const secondHigh = Math.floor(second / 4294967296);
  const secondLow = second >>> 0;
  const hex = HEX_CODES;
  return String.fromCharCode(
    114, // r
    95, // _
    hex[(firstHigh >>> 20) & 15]!,
    hex[(firstHigh >>> 16) & 15]!,
    hex[(firstHigh >>> 12) & 15]!,
    hex[(firstHigh >>> 8) & 15]!,
    hex[(firstHigh >>> 4) & 15]!,
    hex[firstHigh & 15]!,
    hex[firstLow >>> 28]!,
    hex[(firstLow >>> 24) & 15]!,
    hex[(firstLow >>> 20) & 15]!,
    hex[(firstLow >>> 16) & 15]!,
    hex[(firstLow >>> 12) & 15]!,
    hex[(firstLow >>> 8) & 15]!,
    hex[(firstLow >>> 4) & 15]!,
    hex[firstLow & 15]!,
    hex[(secondHigh >>> 20) & 15]!,
    hex[(secondHigh >>> 16) & 15]!,
    hex[(secondHigh >>> 12) & 15]!,
    hex[(secondHigh >>> 8) & 15]!,
    hex[(secondHigh >>> 4) & 15]!,
    hex[secondHigh & 15]!,
    hex[secondLow >>> 28]!,
    hex[(secondLow >>> 24) & 15]!,
    hex[(secondLow >>> 20) & 15]!,
    hex[(secondLow >>> 16) & 15]!,
    hex[(secondLow >>> 12) & 15]!,
    hex[(secondLow >>> 8) & 15]!,
    hex[(secondLow >>> 4) & 15]!,
    hex[secondLow & 15]!,
  );
}
