import { ClockRangeError } from "../../src/clock.js";
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
  408: "Request Timeout",
  409: "Conflict",
  410: "Gone",
  413: "Content Too Large",
  415: "Unsupported Media Type",
  417: "Expectation Failed",
  422: "Unprocessable Content",
  429: "Too Many Requests",
  431: "Request Header Fields Too Large",
  500: "Internal Server Error",
  503: "Service Unavailable",
};

export function problemTitle(status: number): string {
  return TITLES[status] ?? "Error";
}

/** The problem document itself, for answers written where there is no Response (a raw socket). */
export function problemDetails(status: number, detail: string, extra: Record<string, unknown> = {}): ProblemDetails {
  return { type: "about:blank", title: problemTitle(status), status, detail, ...extra };
}

export function problem(status: number, detail: string, extra: Record<string, unknown> = {}, headers: HeadersInit = {}): Response {
  const all = new Headers(headers);
  if (!all.has("content-type")) all.set("content-type", "application/problem+json");
  return JsonResponse.of(problemDetails(status, detail, extra), { status, headers: all });
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
  // A move of the lab clock out of its window (src/clock.ts): the request asked for it, the clock did not move.
  if (error instanceof ClockRangeError) return problem(error.status, error.message, { code: error.code });
  // Not bad input: a bug. Say so without leaking internals.
  return problem(500, "internal error in the emulator (this is a dpclab bug)", { code: "internal" });
}
