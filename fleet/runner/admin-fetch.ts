import { ADMIN_TOKEN_ENV } from "../../emulators/admin/index.js";

/**
 * The fleet's requests to a served lab's `/__admin` (clock, faults, lost devices), with `Authorization: Bearer` from
 * DPCLAB_ADMIN_TOKEN when it is set: a lab served beyond loopback answers its admin API only with the token.
 */
export function adminFetch(token: string | undefined = process.env[ADMIN_TOKEN_ENV]): typeof fetch {
  if (!token) return globalThis.fetch;
  return ((input: RequestInfo | URL, init: RequestInit = {}) => {
    const headers = new Headers(init.headers);
    headers.set("authorization", `Bearer ${token}`);
    return globalThis.fetch(input, { ...init, headers });
  }) as typeof fetch;
}
