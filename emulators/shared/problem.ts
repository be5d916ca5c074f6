import { DpclabError } from "../../src/errors.js";
import { JsonResponse } from "./json-response.js";

/**
 * RFC 9457 problem details: every error that reaches a client is application/problem+json with a clear
 * title and detail, a 4xx for bad input, and never a certificate.
 */
export interface ProblemDetails {
  type?: string;
  title: string;
  status: number;
  detail?: string;
  [extension: string]: unknown;
}

const TITLES: Record<number, string> = {
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  409: "Conflict",
  410: "Gone",
  413: "Content Too Large",
  415: "Unsupported Media Type",
  422: "Unprocessable Content",
  429: "Too Many Requests",
  500: "Internal Server Error",
  503: "Service Unavailable",
};

export function problem(status: number, detail: string, extra: Record<string, unknown> = {}, headers: HeadersInit = {}): Response {
  const body: ProblemDetails = { type: "about:blank", title: TITLES[status] ?? "Error", status, detail, ...extra };
  return JsonResponse.of(body, { status, headers: { "content-type": "application/problem+json", ...Object.fromEntries(new Headers(headers)) } });
}

/** Maps anything thrown by a handler to a problem response: DpclabError keeps its status and code. */
export function errorToProblem(error: unknown): Response {
  if (error instanceof DpclabError) {
    // A rate limit tells the client when to come back: as a member and as Retry-After (RFC 9110 §10.2.3).
    const retryAfter = (error as { retryAfterSeconds?: unknown }).retryAfterSeconds;
    if (typeof retryAfter === "number" && Number.isFinite(retryAfter)) {
      const seconds = Math.max(0, Math.ceil(retryAfter));
      return problem(error.status, error.message, { code: error.code, retryAfterSeconds: seconds }, { "retry-after": String(seconds) });
    }
    return problem(error.status, error.message, { code: error.code });
  }
  // Not bad input: a bug. Say so without leaking internals.
  return problem(500, "internal error in the emulator (this is a dpclab bug)", { code: "internal" });
}
