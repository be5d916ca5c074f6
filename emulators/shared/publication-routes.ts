import { DpclabError } from "../../src/errors.js";
import { ocspResponseStatus } from "../../src/pki/index.js";
import type { Route } from "./handler.js";
import type { IssuingAuthority } from "./issuing-authority.js";

/**
 * Where a CA publishes: the paths that IssuerPublication URLs point at. One scheme for every emulator, so a
 * relying party (PKI-AUTH, OpenSSL, a device) finds any CA the same way.
 */
export function publicationUrls(baseUrl: string, caName: string): { caIssuersUrl: string; ocspUrl: string; crlUrl: string } {
  const base = baseUrl.replace(/\/+$/, "");
  return {
    caIssuersUrl: `${base}/pki/aia/${caName}.p7c`,
    ocspUrl: `${base}/pki/ocsp/${caName}`,
    crlUrl: `${base}/pki/crl/${caName}.crl`,
  };
}

const MAX_OCSP_REQUEST_BYTES = 16 * 1024;
const OCSP_MALFORMED_REQUEST = 1;

/** CRL (DER), caIssuers (.p7c) and OCSP (RFC 6960 Appendix A: POST, and GET with base64 in the path). */
export function publicationRoutes(lookup: (caName: string) => IssuingAuthority | undefined): Route[] {
  const authority = (file: string, ext: string): IssuingAuthority => {
    const name = ext ? file.replace(new RegExp(`\\.${ext}$`), "") : file;
    const found = (!ext || file.endsWith(`.${ext}`)) && lookup(name);
    if (!found) throw new DpclabError(`no CA named "${name}" publishes here`, "unknown-ca", 404);
    return found;
  };
  const answerOcsp = async (ca: IssuingAuthority, request: Uint8Array): Promise<Response> => {
    if (request.length === 0 || request.length > MAX_OCSP_REQUEST_BYTES) throw new DpclabError("empty or oversized OCSP request", "bad-ocsp-request", 400);
    const der = await ca.ocsp(request);
    // The responder says malformedRequest for undecodable DER; over HTTP that is bad input: 400 problem+json.
    if (ocspResponseStatus(der) === OCSP_MALFORMED_REQUEST) {
      throw new DpclabError("not a DER OCSPRequest with at least one CertID (RFC 6960 §4.1.1)", "malformed-ocsp-request", 400);
    }
    return new Response(der, { headers: { "content-type": "application/ocsp-response", "cache-control": "no-cache" } });
  };
  return [
    {
      method: "GET",
      path: "/pki/crl/:file",
      handle: async (_req, p) => new Response(await authority(p.file as string, "crl").crl(), { headers: { "content-type": "application/pkix-crl" } }),
    },
    {
      method: "GET",
      path: "/pki/aia/:file",
      handle: (_req, p) => new Response(authority(p.file as string, "p7c").p7c(), { headers: { "content-type": "application/pkcs7-mime" } }),
    },
    {
      method: "POST",
      path: "/pki/ocsp/:ca",
      handle: async (req, p) => {
        const ca = authority(p.ca as string, "");
        const type = req.headers.get("content-type") ?? "";
        if (!type.startsWith("application/ocsp-request")) {
          throw new DpclabError(`OCSP requests are application/ocsp-request (got "${type || "none"}")`, "bad-content-type", 415);
        }
        return answerOcsp(ca, new Uint8Array(await req.arrayBuffer()));
      },
    },
    {
      method: "GET",
      path: "/pki/ocsp/:ca/:request*",
      handle: async (_req, p) => {
        const ca = authority(p.ca as string, "");
        return answerOcsp(ca, Buffer.from(p.request as string, "base64"));
      },
    },
  ];
}
