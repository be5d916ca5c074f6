import { webcrypto } from "node:crypto";
import { cryptoProvider } from "../x509.js";

/**
 * The one WebCrypto every PKI operation uses: Node's own (OpenSSL-backed, thread-pooled), not @peculiar/webcrypto,
 * which signs ~2x slower here (docs/architecture.md rates). Importing this module registers it with @peculiar/x509 once.
 */
export const crypto: Crypto = webcrypto as unknown as Crypto;

cryptoProvider.set(crypto);
