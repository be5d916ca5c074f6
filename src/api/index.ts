/**
 * The `dpclab` library entry: a TEST lab in-process for other test suites (vitest, jest, Playwright). The msw handlers
 * are `dpclab/msw` (src/api/msw.ts), the testcontainers module `dpclab/testcontainers` (src/api/testcontainers.ts).
 */
export {
  type CreateLabOptions,
  createLab,
  type FaultKnobs,
  type Lab,
  type LabCard,
  type LabCertificate,
  type LabClock,
  type LabFaults,
  type LabPki,
  type LabServer,
  openLab,
  startServer,
} from "./lab.js";
