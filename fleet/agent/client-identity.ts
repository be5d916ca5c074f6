import { FAULT_CLIENT_HEADER } from "../../emulators/admin/index.js";

/**
 * A device's requests carry its name, so the lab's fault injector draws this device's faults from the device's own
 * stream (the same faults whichever worker thread simulates it, whatever the other devices do).
 */
export function namedClientFetch(inner: typeof fetch, client: string): typeof fetch {
  return ((input: RequestInfo | URL, init?: RequestInit) => {
    if (input instanceof Request && init === undefined) {
      const headers = new Headers(input.headers);
      headers.set(FAULT_CLIENT_HEADER, client);
      return inner(new Request(input, { headers }));
    }
    const headers = new Headers(init?.headers);
    headers.set(FAULT_CLIENT_HEADER, client);
    return inner(input, { ...init, headers });
  }) as typeof fetch;
}
