import { type Static, Type } from "@sinclair/typebox";
import {
  MappingSchema,
  TIME_OPTIONS,
  VALUE_OPTIONS,
} from "../mapping/schema.js";

/** Config of the HTTP ingest endpoint: the `http_ingest` section. */
export const IngestConfigSchema = Type.Object(
  {
    name: Type.Optional(
      Type.String({
        minLength: 1,
        description: "Connector name in logs, metrics and readings",
      }),
    ),
    host: Type.String({
      default: "127.0.0.1",
      description: "Address to listen on",
    }),
    port: Type.Integer({
      minimum: 0,
      maximum: 65535,
      default: 8088,
      description: "Port to listen on; 0 picks a free port",
    }),
    path: Type.String({
      default: "/ingest",
      pattern: "^/",
      description: "Path that accepts POST requests",
    }),
    token: Type.String({
      minLength: 16,
      description:
        "Bearer token clients send in Authorization; use ${VAR} to keep it out of the file",
    }),
    max_body_bytes: Type.Integer({
      minimum: 1,
      default: 10 * 1024 * 1024,
      description: "Largest request body, in bytes",
    }),
    accept_timeout_ms: Type.Integer({
      minimum: 1,
      default: 10_000,
      description:
        "Longest wait for the outputs to accept a request's readings, in milliseconds; past it the request gets 503 and must be sent again",
    }),
    max_errors_reported: Type.Integer({
      minimum: 1,
      default: 100,
      description: "Bad rows listed in a 400 response",
    }),
    delimiter: Type.Union(
      [
        Type.Literal(","),
        Type.Literal(";"),
        Type.Literal("\t"),
        Type.Literal("|"),
      ],
      {
        default: ",",
        description: "Field delimiter of CSV bodies",
      },
    ),
    mapping: Type.Optional(MappingSchema),
    ...TIME_OPTIONS,
    ...VALUE_OPTIONS,
  },
  {
    additionalProperties: false,
    description:
      "Accepts readings pushed over HTTP: POST CSV, NDJSON or JSON with a bearer token",
  },
);

/** Config of the HTTP ingest endpoint. */
export type IngestConfig = Static<typeof IngestConfigSchema>;
