/** The four Modbus data tables. */
export type RegisterTable =
  | "coil"
  | "discrete_input"
  | "input_register"
  | "holding_register";

/** Read function code of each table. */
export const READ_FUNCTION: Readonly<Record<RegisterTable, 1 | 2 | 3 | 4>> = {
  coil: 1,
  discrete_input: 2,
  holding_register: 3,
  input_register: 4,
};

const TABLE_BY_FUNCTION: Readonly<Record<number, RegisterTable>> = {
  1: "coil",
  2: "discrete_input",
  3: "holding_register",
  4: "input_register",
};

const TABLE_ALIASES: Readonly<Record<string, RegisterTable>> = {
  coil: "coil",
  coils: "coil",
  discrete_input: "discrete_input",
  discrete: "discrete_input",
  input_register: "input_register",
  input: "input_register",
  holding_register: "holding_register",
  holding: "holding_register",
};

// First digit of a Modicon reference and the table it selects.
const MODICON_TABLES: Readonly<Record<number, RegisterTable>> = {
  0: "coil",
  1: "discrete_input",
  3: "input_register",
  4: "holding_register",
};

/** A point's place on the wire: table and 0-based address. */
export interface ResolvedAddress {
  table: RegisterTable;
  /** 0-based address in the table, as sent in the request (0 to 65535). */
  address: number;
}

/** Why an address could not be resolved, and what to write instead. */
export interface AddressProblem {
  message: string;
  fix: string;
}

/** The address fields of a point, as configured. */
export interface AddressSpec {
  address: number | string;
  addressing?: "modicon" | "pdu" | "one_based" | undefined;
  table?: string | undefined;
  function?: number | undefined;
}

/** Returns whether a value is a table name or alias. */
export function tableOf(name: string): RegisterTable | undefined {
  return TABLE_ALIASES[name];
}

/** Returns true for the tables whose values are single bits. */
export function isBitTable(table: RegisterTable): boolean {
  return table === "coil" || table === "discrete_input";
}

/**
 * Resolves a configured address to a table and 0-based address. The
 * convention is never guessed from the size of the number: a Modicon
 * reference carries its table in its first digit, while `pdu` and
 * `one_based` addresses need `table` or `function`. A point with a table
 * and no addressing of its own is pdu unless `defaultAddressing` is
 * pdu or one_based.
 */
export function resolveAddress(
  spec: AddressSpec,
  defaultAddressing: "modicon" | "pdu" | "one_based" = "modicon",
): ResolvedAddress | AddressProblem {
  const explicit = explicitTable(spec);
  if ("message" in explicit) return explicit;

  if (typeof spec.address === "string") {
    const tabled = /^([a-z_]+):(\d+)$/.exec(spec.address.trim());
    if (tabled) return tableOffset(tabled[1]!, Number(tabled[2]), spec);
  }

  // A point that names its table cannot be a Modicon reference, so a
  // modicon default gives way to pdu there; a pdu or one_based default
  // (a profile numbered from 1, say) applies as it is.
  const addressing =
    spec.addressing ??
    (explicit.table !== undefined && defaultAddressing === "modicon"
      ? "pdu"
      : defaultAddressing);

  if (addressing === "modicon") {
    if (explicit.table !== undefined) {
      return {
        message:
          "a Modicon reference carries its table in its first digit, so table and function do not apply",
        fix: 'remove table/function, or set addressing: "pdu" (0-based) or "one_based" to use them',
      };
    }
    return parseModicon(spec.address);
  }

  const number = parseInteger(spec.address);
  if (number === undefined) {
    return {
      message: `${JSON.stringify(spec.address)} is not a whole number`,
      fix: 'write the address as a number, or as "holding:57600"',
    };
  }
  if (explicit.table === undefined) {
    return {
      message: `${addressing} address ${number} needs its table`,
      fix: 'add table ("holding_register", "input_register", "coil", "discrete_input") or function (1 to 4)',
    };
  }
  const wire = addressing === "one_based" ? number - 1 : number;
  if (wire < 0 || wire > 65535) {
    const range = addressing === "one_based" ? "1 to 65536" : "0 to 65535";
    return {
      message: `${addressing} address ${number} is outside ${range}`,
      fix: "check the register number in the device's documentation",
    };
  }
  return { table: explicit.table, address: wire };
}

function explicitTable(
  spec: AddressSpec,
): { table: RegisterTable | undefined } | AddressProblem {
  const byName = spec.table === undefined ? undefined : tableOf(spec.table);
  if (spec.table !== undefined && byName === undefined) {
    return {
      message: `table ${JSON.stringify(spec.table)} is not a Modbus table`,
      fix: "use coil, discrete_input, input_register or holding_register",
    };
  }
  const byFunction =
    spec.function === undefined ? undefined : TABLE_BY_FUNCTION[spec.function];
  if (spec.function !== undefined && byFunction === undefined) {
    return {
      message: `function ${spec.function} is not a read function code`,
      fix: "use 1 (coils), 2 (discrete inputs), 3 (holding registers) or 4 (input registers)",
    };
  }
  if (byName && byFunction && byName !== byFunction) {
    return {
      message: `table ${spec.table} and function ${spec.function} name different tables`,
      fix: "give only one of table and function",
    };
  }
  return { table: byName ?? byFunction };
}

function tableOffset(
  name: string,
  address: number,
  spec: AddressSpec,
): ResolvedAddress | AddressProblem {
  const table = tableOf(name);
  if (!table) {
    return {
      message: `${JSON.stringify(spec.address)} names no Modbus table`,
      fix: 'write "coil:N", "discrete_input:N", "input_register:N" or "holding_register:N" (or the short forms "discrete:N", "input:N", "holding:N") with a 0-based N',
    };
  }
  if (spec.addressing !== undefined && spec.addressing !== "pdu") {
    return {
      message: `"table:N" addresses are 0-based, but addressing is ${spec.addressing}`,
      fix: 'remove addressing, or set it to "pdu"',
    };
  }
  if (address > 65535) {
    return {
      message: `address ${address} is above 65535, the last address of a table`,
      fix: "check the register number in the device's documentation",
    };
  }
  return { table, address };
}

/**
 * Parses a Modicon reference: five digits (40001 is holding register 0,
 * up to 49999) or six digits (400001 to 465536). As a number, a
 * reference below 100000 is read as five digits; six-digit coil
 * references (000001 to 065536) must be written as strings.
 */
export function parseModicon(
  reference: number | string,
): ResolvedAddress | AddressProblem {
  const text =
    typeof reference === "number" ? String(reference) : reference.trim();
  if (!/^\d+$/.test(text)) {
    return {
      message: `${JSON.stringify(reference)} is not a Modicon reference`,
      fix: 'write a reference such as 40001 or "400001", or "holding:57600" for a 0-based address',
    };
  }
  const value = Number(text);
  const sixDigits =
    typeof reference === "string" ? text.length === 6 : value >= 100_000;
  if (typeof reference === "string" && text.length !== 5 && !sixDigits) {
    if (text.length < 5) return notModicon(reference, value);
  }
  const divisor = sixDigits ? 100_000 : 10_000;
  const digit = Math.floor(value / divisor);
  const number = value % divisor;
  const table = MODICON_TABLES[digit];
  const last = sixDigits ? 65_536 : 9_999;
  if (table === undefined || (sixDigits && text.length > 6)) {
    return notModicon(reference, value);
  }
  if (number < 1 || number > last) {
    return {
      message: `${text} is not a valid Modicon reference: the register number after the table digit must be 1 to ${last} (the first holding register is ${sixDigits ? "400001" : "40001"})`,
      fix: `if ${value} is the address on the wire, write addressing: "pdu" with a table, or "${table}:${value}"`,
    };
  }
  return { table, address: number - 1 };
}

function notModicon(reference: number | string, value: number): AddressProblem {
  return {
    message: `${reference} is not a valid 0xxxx/1xxxx/3xxxx/4xxxx reference (Modicon references start with 0 coils, 1 discrete inputs, 3 input registers or 4 holding registers, then a register number from 1)`,
    fix: `if ${value} is the register address on the wire, use addressing: "pdu" with table: "holding_register" (or write "holding:${value}")`,
  };
}

function parseInteger(value: number | string): number | undefined {
  if (typeof value === "number")
    return Number.isInteger(value) ? value : undefined;
  const text = value.trim();
  if (!/^\d+$/.test(text)) return undefined;
  return Number(text);
}

/** Formats a table and address for messages: `holding_register 107`. */
export function formatAddress(resolved: ResolvedAddress): string {
  return `${resolved.table} ${resolved.address}`;
}
