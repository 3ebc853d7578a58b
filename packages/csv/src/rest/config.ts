import { type Static, Type } from "@sinclair/typebox";
import {
  MappingSchema,
  TIME_OPTIONS,
  VALUE_OPTIONS,
} from "../mapping/schema.js";

/** Pagination of a REST API. */
export const PaginationSchema = Type.Object(
  {
    type: Type.Union(
      [
        Type.Literal("none"),
        Type.Literal("page"),
        Type.Literal("offset"),
        Type.Literal("cursor"),
        Type.Literal("next_url"),
        Type.Literal("link_header"),
      ],
      {
        default: "none",
        description:
          "page: page number parameter; offset: record offset parameter; cursor: token from the response; next_url: URL from the response; link_header: RFC 8288 Link rel=next",
      },
    ),
    page_param: Type.String({
      default: "page",
      description: "Query parameter of the page number",
    }),
    first_page: Type.Integer({
      default: 1,
      description: "Number of the first page",
    }),
    offset_param: Type.String({
      default: "offset",
      description: "Query parameter of the record offset",
    }),
    size_param: Type.Optional(
      Type.String({
        description: "Query parameter of the page size, such as limit",
      }),
    ),
    page_size: Type.Optional(
      Type.Integer({
        minimum: 1,
        description: "Records per page, sent in size_param",
      }),
    ),
    cursor_param: Type.String({
      default: "cursor",
      description: "Query parameter of the cursor",
    }),
    cursor_path: Type.String({
      default: "$.next_cursor",
      description: "JSON path of the next cursor in a response",
    }),
    next_url_path: Type.String({
      default: "$.next",
      description: "JSON path of the next page URL in a response",
    }),
    max_pages: Type.Integer({
      minimum: 1,
      default: 100,
      description: "Most pages read in one poll",
    }),
  },
  {
    additionalProperties: false,
    default: {},
    description: "How a poll reads the further pages of a response",
  },
);

/** Since-cursor, so that each poll requests only data after the last one. */
export const SinceSchema = Type.Object(
  {
    param: Type.String({
      default: "since",
      description:
        "Query parameter that carries the cursor; the URL may also contain {since}",
    }),
    source: Type.Union([Type.Literal("timestamp"), Type.Literal("response")], {
      default: "timestamp",
      description:
        "timestamp: the latest reading timestamp accepted; response: the value at path in the last response",
    }),
    path: Type.Optional(
      Type.String({
        description:
          "JSON path of the cursor in a response, for source response",
      }),
    ),
    format: Type.Union(
      [Type.Literal("iso"), Type.Literal("epoch_s"), Type.Literal("epoch_ms")],
      {
        default: "iso",
        description: "How a timestamp cursor is written",
      },
    ),
    initial: Type.Optional(
      Type.String({
        description:
          "Cursor of the first poll; default none (the API's default window)",
      }),
    ),
  },
  {
    additionalProperties: false,
    description:
      "Cursor sent with each poll, so that the API returns only newer records",
  },
);

/** Retry of failed requests. */
export const RetrySchema = Type.Object(
  {
    max_attempts: Type.Integer({
      minimum: 1,
      default: 5,
      description: "Attempts per request, the first included",
    }),
    initial_delay_ms: Type.Integer({
      minimum: 0,
      default: 1000,
      description: "First backoff delay, in milliseconds",
    }),
    max_delay_ms: Type.Integer({
      minimum: 0,
      default: 60_000,
      description:
        "Longest backoff delay, and cap of a Retry-After, in milliseconds",
    }),
  },
  {
    additionalProperties: false,
    default: {},
    description: "Retries of a failed request",
  },
);

/** Config of one REST polling connector: the `rest` section. */
export const RestConfigSchema = Type.Object(
  {
    name: Type.Optional(
      Type.String({
        minLength: 1,
        description: "Connector name in logs, metrics and readings",
      }),
    ),
    url: Type.String({
      minLength: 1,
      description: "URL to poll; may contain {since}",
    }),
    method: Type.Union([Type.Literal("GET"), Type.Literal("POST")], {
      default: "GET",
      description: "HTTP method; POST sends body",
    }),
    headers: Type.Record(Type.String(), Type.String(), {
      default: {},
      description:
        "Request headers; ${VAR} tokens are replaced from the environment",
    }),
    query: Type.Record(Type.String(), Type.String(), {
      default: {},
      description: "Query parameters added to the URL",
    }),
    body: Type.Optional(
      Type.Unknown({
        description: "JSON body of a POST; strings may contain {since}",
      }),
    ),
    polling_interval: Type.Number({
      exclusiveMinimum: 0,
      default: 60,
      description:
        "Seconds from the start of one poll to the start of the next",
    }),
    timeout_ms: Type.Integer({
      minimum: 1,
      default: 10_000,
      description: "Timeout of one request, in milliseconds",
    }),
    records: Type.String({
      default: "auto",
      description:
        "JSON path of the records array in a response, such as $.data[*]; auto finds the first array",
    }),
    ...TIME_OPTIONS,
    ...VALUE_OPTIONS,
    mapping: MappingSchema,
    pagination: PaginationSchema,
    since: Type.Optional(SinceSchema),
    retry: RetrySchema,
  },
  {
    additionalProperties: false,
    description: "Polls a REST API returning JSON",
  },
);

/** Config of one REST polling connector. */
export type RestConfig = Static<typeof RestConfigSchema>;
