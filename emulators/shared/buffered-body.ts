/**
 * A message body already in memory, read as a Fetch body is: once, as text, JSON or bytes (BufferedRequest and
 * JsonResponse, which hand handlers and clients their bodies without undici's body streams). A message without a body
 * (null) reads as empty any number of times, as Request and Response do.
 */
export abstract class BufferedBody {
  readonly #body: string | Uint8Array | null;
  #used = false;

  protected constructor(body: string | Uint8Array | null) {
    this.#body = body;
  }

  get bodyUsed(): boolean {
    return this.#used;
  }

  async text(): Promise<string> {
    const body = this.take();
    return body === null ? "" : typeof body === "string" ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString("utf8");
  }

  async json(): Promise<unknown> {
    return JSON.parse(await this.text());
  }

  async arrayBuffer(): Promise<ArrayBuffer> {
    const body = this.take();
    if (body === null) return new ArrayBuffer(0);
    const bytes = typeof body === "string" ? Buffer.from(body, "utf8") : body;
    return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  }

  async bytes(): Promise<Uint8Array> {
    return new Uint8Array(await this.arrayBuffer());
  }

  /** The body for a clone: refused once it was read, as Request.clone and Response.clone refuse. */
  protected bodyForClone(what: "Request" | "Response"): string | Uint8Array | null {
    if (this.#used) throw new TypeError(`${what}.clone: the body was already read`);
    return this.#body;
  }

  /** The body, once (null: none, any number of times). */
  protected take(): string | Uint8Array | null {
    if (this.#body === null) return null;
    if (this.#used) throw new TypeError("Body is unusable: the body was already read");
    this.#used = true;
    return this.#body;
  }
}
