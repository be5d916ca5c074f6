export { CertificateRegistry, type CertificateRegistryState, certificateRegistryShape, type IssuedRecord, type RevokedRecord } from "./certificate-registry.js";
export { DroppedConnection, type FetchHandler, inProcessFetch, mount, type Route, router, withClaims } from "./handler.js";
export { isLoopbackHost, type RunningServer, serve } from "./http-server.js";
export { IssuingAuthority } from "./issuing-authority.js";
export { jsonNestsDeeperThan, readJsonObject, tooDeepJson } from "./json-body.js";
export { JsonResponse } from "./json-response.js";
export { NETWORK_ZONE_HEADER, type NetworkZone, networkZone } from "./network-zone.js";
export { type CardholderNotice, type CardholderNotifier, NoticeOutbox } from "./notice-outbox.js";
export { errorToProblem, type ProblemDetails, problem } from "./problem.js";
export { publicationRoutes, publicationUrls } from "./publication-routes.js";
export { qrPng, qrSvg } from "./qr-code.js";
export {
  b64,
  base64Field,
  type DeviceDescriptor,
  type KeystoreKind,
  type Platform,
  readDevice,
  readDeviceId,
  readKeystoreKind,
  readOsVersion,
  readPlatform,
  requiredString,
} from "./wire-format.js";
