import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { DpclabError } from "../../src/errors.js";
import { type FetchHandler, problem, withClaims } from "../shared/index.js";

/** Where `dpclab serve` takes the admin token from, when it needs one and the operator chose it. */
export const ADMIN_TOKEN_ENV = "DPCLAB_ADMIN_TOKEN";
const MIN_TOKEN_CHARS = 16;

/** The paths the admin API answers (the lab stack routes the same prefix to it). */
export function isAdminPath(pathname: string): boolean {
  return pathname.startsWith("/__admin");
}

/** The operator's token from the environment (at least 16 characters), or a fresh random one. */
export function adminToken(env: NodeJS.ProcessEnv = process.env): { token: string; fromEnv: boolean } {
  const given = env[ADMIN_TOKEN_ENV];
  if (given === undefined || given === "") return { token: randomBytes(24).toString("base64url"), fromEnv: false };
  if (given.length < MIN_TOKEN_CHARS || /\s/.test(given))
    throw new DpclabError(`${ADMIN_TOKEN_ENV} must be at least ${MIN_TOKEN_CHARS} characters without spaces`, "usage");
  return { token: given, fromEnv: true };
}

/**
 * `/__admin` moves the lab clock, sets faults and reports devices lost: on a lab reachable from other machines it
 * answers only `Authorization: Bearer <token>` (RFC 6750); anything else is 401 problem+json. Other paths pass.
 */
export function requireAdminToken(handler: FetchHandler, token: string): FetchHandler {
  const expected = digest(token);
  return withClaims(async (request) => {
    if (!isAdminPath(new URL(request.url).pathname)) return handler(request);
    const m = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(request.headers.get("authorization") ?? "");
    // Compared as digests, in constant time: the answer must not tell how much of a guess was right.
    if (m && timingSafeEqual(digest(m[1] as string), expected)) return handler(request);
    return problem(
      401,
      m ? "the admin token is not valid" : "the admin API of a lab served beyond loopback needs Authorization: Bearer <token> (printed by dpclab serve)",
      { code: "admin-token" },
      { "www-authenticate": 'Bearer realm="dpclab admin"' },
    );
  }, handler.claims);
}

function digest(text: string): Buffer {
  return createHash("sha256").update(text, "utf8").digest();
}
