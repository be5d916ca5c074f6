import { BufferedBody } from "./buffered-body.js";

/**
 * A JSON answer as handlers give it: what a Fetch Response offers (status, statusText, ok, headers, the body once as
 * text, JSON or bytes, a lazy body stream, clone) over the serialised text, without undici building and draining a
 * body stream for every answer (with BufferedRequest, most of an in-process round trip after the crypto). Over a
 * socket the server sends its bytes (http-server.ts), so clients there get a real Response;
 * test/emulators/json-response.test.ts holds it to Response.json.
 */
export class JsonResponse extends BufferedBody {
  readonly status: number;
  readonly statusText: string;
  readonly headers: Headers;
  readonly redirected = false;
  readonly type = "default";
  readonly url = "";
  #stream: ReadableStream<Uint8Array> | undefined;

  private constructor(text: string, status: number, statusText: string, headers: Headers) {
    super(text);
    this.status = status;
    this.statusText = statusText;
    this.headers = headers;
  }

  /** As Response.json: application/json unless the init names a content type; status 200–599. */
  static of(data: unknown, init: ResponseInit = {}): Response {
    const status = init.status ?? 200;
    if (!Number.isInteger(status) || status < 200 || status > 599) throw new RangeError(`init["status"] must be in the range of 200 to 599, inclusive.`);
    if (status === 204 || status === 205 || status === 304) throw new TypeError(`a ${status} response has no body`);
    const headers = new Headers(init.headers);
    if (!headers.has("content-type")) headers.set("content-type", "application/json");
    const text = JSON.stringify(data);
    if (text === undefined) throw new TypeError("Value is not JSON serializable");
    return new JsonResponse(text, status, init.statusText ?? "", headers) as unknown as Response;
  }

  get ok(): boolean {
    return this.status >= 200 && this.status <= 299;
  }

  /** The body as a stream, for callers that want one (made on demand; the body is then used). */
  get body(): ReadableStream<Uint8Array> {
    this.#stream ??= new Response(this.take() as string).body as ReadableStream<Uint8Array>;
    return this.#stream;
  }

  clone(): Response {
    return new JsonResponse(this.bodyForClone("Response") as string, this.status, this.statusText, new Headers(this.headers)) as unknown as Response;
  }
}
