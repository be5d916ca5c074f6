import { DpclabError } from "../../src/errors.js";

/**
 * JSON over a fetch-like function (real HTTP or in-process): a problem+json answer becomes a DpclabError carrying
 * the problem's code and status, so a client's caller sees the server's words.
 */
export class JsonClient {
  constructor(
    private readonly fetchFn: typeof fetch,
    readonly baseUrl: string,
    private readonly headers: Record<string, string> = {},
  ) {}

  withBearer(token: string): JsonClient {
    return this.withHeaders({ authorization: `Bearer ${token}` });
  }

  /** The same client with more headers; a header set to undefined is dropped (e.g. a kiosk bearer on a device call). */
  withHeaders(extra: Record<string, string | undefined>): JsonClient {
    const headers: Record<string, string> = { ...this.headers };
    for (const [name, value] of Object.entries(extra)) {
      if (value === undefined) delete headers[name];
      else headers[name] = value;
    }
    return new JsonClient(this.fetchFn, this.baseUrl, headers);
  }

  get<T>(path: string): Promise<T> {
    return this.#send<T>("GET", path);
  }

  post<T>(path: string, body: unknown = {}): Promise<T> {
    return this.#send<T>("POST", path, body);
  }

  patch<T>(path: string, body: unknown): Promise<T> {
    return this.#send<T>("PATCH", path, body);
  }

  delete(path: string): Promise<unknown> {
    return this.#send("DELETE", path);
  }

  /** A JSON request whose answer is read as text: a document that is not JSON (an Apple property list). */
  text(method: "GET" | "POST", path: string, body?: unknown): Promise<string> {
    return this.#exchange(method, path, body, "*/*").then((r) => r.text);
  }

  async #send<T>(method: string, path: string, body?: unknown): Promise<T> {
    const { parsed } = await this.#exchange(method, path, body, "application/json");
    return parsed() as T;
  }

  async #exchange(method: string, path: string, body: unknown, accept: string): Promise<{ text: string; parsed: () => unknown }> {
    const res = await this.fetchFn(new URL(path, this.baseUrl), {
      method,
      headers: { accept, ...(body !== undefined ? { "content-type": "application/json" } : {}), ...this.headers },
      body: body !== undefined ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    const parsed = () => (text ? safeJson(text) : undefined);
    if (!res.ok) {
      const p = (parsed() ?? {}) as { detail?: string; title?: string; code?: string };
      const error = new DpclabError(
        `${method} ${path}: ${res.status} ${p.detail ?? p.title ?? text.slice(0, 200)}`,
        p.code ?? `http-${res.status}`,
        res.status,
      );
      (error as DpclabError & { retryAfter?: string | null }).retryAfter = res.headers.get("retry-after");
      throw error;
    }
    return { text, parsed };
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return { detail: text.slice(0, 200) };
  }
}
