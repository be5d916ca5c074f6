import { type FetchHandler, JsonResponse, publicationRoutes, publicationUrls, router, withClaims } from "../shared/index.js";
import type { CardIssuer } from "./card-issuer.js";

/** The card issuer's public face: CRLs, OCSP and caIssuers for the TEST root and the PIV Card Issuing CA. */
export function pivCaHandler(issuer: CardIssuer): FetchHandler {
  const routes = router([
    ...publicationRoutes((name) => issuer.authority(name)),
    {
      method: "GET",
      path: "/pki",
      // The URLs the certificates carry (lab.json baseUrl), never built from the request's Host header.
      handle: () => {
        const base = issuer.config.baseUrl;
        const cas = [issuer.root, issuer.pivCa].map((a) => ({ name: a.name, subject: a.certificate.subject, ...publicationUrls(base, a.name) }));
        return JsonResponse.of({ cas });
      },
    },
  ]);
  return withClaims((request) => {
    issuer.reloadIfChanged();
    return routes(request);
  }, routes.claims);
}
