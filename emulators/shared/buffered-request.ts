import { BufferedBody } from "./buffered-body.js";

/**
 * A request whose body is already in memory, as handlers see it: what they read of a Fetch Request (url, method,
 * headers, the body once as text, JSON or bytes, clone) without undici's body stream. Building and draining a stream
 * per request was the largest cost of a round trip after the crypto (fleet storm profiles), and both the in-process
 * dispatch and the HTTP server (which has read the body off the socket) hold the bytes already. It keeps Request's
 * rules that handlers can observe: standard methods upper-cased, no body on GET/HEAD, a string body typed text/plain
 * unless the caller says otherwise, a body read only once; test/emulators/buffered-request.test.ts holds it to a
 * real Request.
 */
export class BufferedRequest extends BufferedBody {
  readonly url: string;
  readonly method: string;
  readonly headers: Headers;

  private constructor(url: string, method: string, headers: Headers, body: string | Uint8Array | null) {
    super(body);
    this.url = url;
    this.method = method;
    this.headers = headers;
  }

  /** A light request for `init`, or undefined when its body is of a kind only a real Request handles (streams, forms). */
  static from(url: URL, init: RequestInit = {}): BufferedRequest | undefined {
    const body = lightBody(init.body);
    if (body === undefined) return undefined;
    const method = normalizeMethod(init.method ?? "GET");
    if (body !== null && (method === "GET" || method === "HEAD")) throw new TypeError(`a ${method} request cannot have a body`);
    const headers = new Headers(init.headers);
    if (typeof body === "string" && !headers.has("content-type")) headers.set("content-type", "text/plain;charset=UTF-8");
    return new BufferedRequest(url.href, method, headers, body);
  }

  clone(): BufferedRequest {
    return new BufferedRequest(this.url, this.method, new Headers(this.headers), this.bodyForClone("Request"));
  }
}

/** What a handler is given for `init`: a BufferedRequest when the body is in memory, a real Request otherwise. */
export function handlerRequest(url: URL, init: RequestInit = {}): Request {
  return (BufferedRequest.from(url, init) as unknown as Request | undefined) ?? new Request(url, init);
}

/** Fetch's method normalisation: these six are upper-cased, anything else (PATCH included) is kept as given. */
const NORMALIZED = new Set(["DELETE", "GET", "HEAD", "OPTIONS", "POST", "PUT"]);

/** Methods a Request refuses outright. */
const FORBIDDEN = new Set(["CONNECT", "TRACE", "TRACK"]);

/** Whether Fetch refuses the method (TRACE, TRACK, CONNECT, any case): a server answers those itself, 405. */
export function isForbiddenMethod(method: string): boolean {
  return FORBIDDEN.has(method.toUpperCase());
}

function normalizeMethod(method: string): string {
  const upper = method.toUpperCase();
  if (FORBIDDEN.has(upper)) throw new TypeError(`'${method}' HTTP method is unsupported`);
  return NORMALIZED.has(upper) ? upper : method;
}

/** The body as it is in memory (a copy of bytes, as Request takes one), null for none, undefined for other kinds. */
function lightBody(body: RequestInit["body"]): string | Uint8Array | null | undefined {
  if (body === undefined || body === null) return null;
  if (typeof body === "string") return body;
  if (body instanceof ArrayBuffer) return new Uint8Array(body.slice(0));
  if (ArrayBuffer.isView(body)) return new Uint8Array(body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength));
  return undefined;
}
