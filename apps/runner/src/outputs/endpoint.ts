/**
 * Returns a URL without user name, password, query and fragment, for
 * logs and error messages: those parts often carry credentials or tokens.
 * Text that is not a URL is replaced by a placeholder for the same reason.
 */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    const path = parsed.pathname === "/" ? "" : parsed.pathname;
    return `${parsed.protocol}//${parsed.host}${path}`;
  } catch {
    return "(invalid URL)";
  }
}

/** Host, port and database of a PostgreSQL connection string, for logs. */
export function describePostgres(connectionString: string | undefined): {
  host: string;
  port: string;
  database: string;
} {
  const env = process.env;
  const fallback = {
    host: env.PGHOST ?? "localhost",
    port: env.PGPORT ?? "5432",
    database: env.PGDATABASE ?? env.PGUSER ?? "",
  };
  if (connectionString === undefined) return fallback;
  try {
    const parsed = new URL(connectionString);
    return {
      host: parsed.hostname || fallback.host,
      port: parsed.port || "5432",
      database: decodeURIComponent(parsed.pathname.slice(1)),
    };
  } catch {
    return { host: "(unparsed)", port: "", database: "" };
  }
}
