import { randomUUID } from "node:crypto";
import type { AdjustableClock } from "../../src/clock.js";
import { LATEST_CLOCK, MAX_CLOCK_ADVANCE_MS, parseDuration } from "../../src/clock.js";
import { DpclabError } from "../../src/errors.js";
import { type LabStore, MemoryStore } from "../../src/store/index.js";
import type { IssuingAuthority } from "../shared/index.js";
import { type FetchHandler, JsonResponse, readJsonObject, router } from "../shared/index.js";
import type { FaultInjector } from "./faults.js";

export interface AdminContext {
  clock: AdjustableClock;
  /** Every CA the lab runs: the root first, then the intermediates. */
  authorities: () => IssuingAuthority[];
  /** The tenant's notification outbox (and any other notices), newest last. */
  outbox: () => unknown[];
  faults: FaultInjector;
  /** Runs after the clock moved: what became due (seven-day rechecks, expiries) happens now, not at the next request. */
  onClockChange?: () => void;
  /** The operator reports a device lost (DC-TRM-01): its derived credentials are revoked and the tenant retires it. */
  reportLost?: (deviceId: string) => { revoked: { issuer: string; serialNumber: string }[] };
  /** The lab store, where the lab's instance id is kept (default: a private one in memory, so a new id each time). */
  store?: LabStore;
}

/**
 * The lab's management API under /__admin: drive the virtual clock, fetch the trust anchors, look up a certificate's
 * status by serial across every CA, read the notification outbox, set fault knobs. Not part of any emulated product.
 */
export function adminHandler(ctx: AdminContext): FetchHandler {
  // `instance` names the lab's state: a client driving the clock (a fleet run with --url) sees a lab that lost its state
  // (a memory store's server restarted) as a new instance instead of as devices that mysteriously failed. Kept in the
  // store, it stays the same across restarts on a durable store and is the same on every server sharing one.
  const instance = labInstance(ctx.store ?? new MemoryStore());
  const clockBody = () => ({ now: ctx.clock.now().toISOString(), instance });
  return router([
    { method: "GET", path: "/__admin/clock", handle: () => JsonResponse.of(clockBody()) },
    {
      method: "PUT",
      path: "/__admin/clock",
      handle: async (req) => {
        const { now } = await readJsonObject(req, ["now"]);
        const at = parseInstant(now);
        if (at.getTime() < ctx.clock.now().getTime())
          throw new DpclabError("the lab clock only moves forward (certificates, notices and rechecks already happened)", "clock-backwards", 409);
        ctx.clock.set(at); // refuses a time outside the lab's window (ClockRangeError → 409), changing nothing
        ctx.onClockChange?.();
        return JsonResponse.of(clockBody());
      },
    },
    {
      method: "POST",
      path: "/__admin/clock/advance",
      handle: async (req) => {
        const { by } = await readJsonObject(req, ["by"]);
        ctx.clock.advance(parseAdvance(by)); // refuses a result past the lab's window (ClockRangeError → 409)
        ctx.onClockChange?.();
        return JsonResponse.of(clockBody());
      },
    },
    {
      method: "GET",
      path: "/__admin/pki",
      handle: () => {
        const [root, ...intermediates] = ctx.authorities();
        const describe = (a: IssuingAuthority) => ({ name: a.name, subject: a.certificate.subject, pem: a.certificate.toString("pem") });
        return JsonResponse.of({ roots: root ? [describe(root)] : [], intermediates: intermediates.map(describe) });
      },
    },
    {
      method: "GET",
      path: "/__admin/certificates/:serial",
      handle: (_req, p) => {
        const serial = String(p.serial).toLowerCase();
        if (!/^[0-9a-f]{1,40}$/.test(serial)) throw new DpclabError("a serial number is 1–40 hex digits", "bad-serial");
        const found = ctx
          .authorities()
          .map((a) => ({ ca: a.name, issued: a.registry.issued(serial), status: a.status(serial) }))
          .filter((x) => x.issued);
        if (found.length === 0) throw new DpclabError(`no CA of this lab issued serial ${serial}`, "unknown-serial", 404);
        return JsonResponse.of({ serialNumber: serial, certificates: found.map(({ ca, issued, status }) => ({ ca, ...issued, ...status })) });
      },
    },
    { method: "GET", path: "/__admin/outbox", handle: () => JsonResponse.of({ value: ctx.outbox() }) },
    {
      method: "POST",
      path: "/__admin/devices/:deviceId/lost",
      handle: (_req, p) => {
        if (!ctx.reportLost) throw new DpclabError("this lab has no devices to report lost", "not-found", 404);
        const deviceId = String(p.deviceId);
        // Tenant device ids are GUIDs: anything else (`__proto__`, `constructor`, junk) names no device of this lab.
        if (!MANAGED_DEVICE_ID.test(deviceId)) throw new DpclabError(`no managed device with id ${JSON.stringify(deviceId.slice(0, 64))}`, "not-found", 404);
        return JsonResponse.of(ctx.reportLost(deviceId));
      },
    },
    { method: "GET", path: "/__admin/faults", handle: () => JsonResponse.of({ ...ctx.faults.knobs, injected: ctx.faults.injected }) },
    {
      method: "PUT",
      path: "/__admin/faults",
      handle: async (req) => JsonResponse.of(ctx.faults.set(await readJsonObject(req))),
    },
  ]);
}

const INSTANCE = "admin/instance";

/** The store's lab instance id, made on first use. */
function labInstance(store: LabStore): string {
  return store.transaction((tx) => {
    const known = tx.get<string>(INSTANCE, "id");
    if (known !== undefined) return known;
    const made = randomUUID();
    tx.put(INSTANCE, "id", made);
    return made;
  });
}

/** A managed device's id as the tenant makes them (a GUID; not the id a phone reports to an issuer, ../shared/wire-format.ts). */
const MANAGED_DEVICE_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** RFC 3339 date-time (ISO 8601's profile for the Internet), four-digit year: not whatever Date.parse guesses at. */
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/i;

function parseInstant(now: unknown): Date {
  const at = typeof now === "string" && DATE_TIME.test(now) ? new Date(now) : new Date(Number.NaN);
  if (Number.isNaN(at.getTime())) throw new DpclabError('"now" must be an RFC 3339 date-time such as "2027-01-01T00:00:00Z"', "bad-time");
  if (at.getTime() > LATEST_CLOCK.getTime())
    throw new DpclabError(`"now" must be at most ${LATEST_CLOCK.toISOString()} (certificates cannot encode much later times)`, "bad-time");
  return at;
}

/** "by": a duration ("8d", "12h", …) or whole milliseconds, from 0 to MAX_CLOCK_ADVANCE_MS. */
function parseAdvance(by: unknown): number {
  let ms: number;
  if (typeof by === "number") ms = by;
  else if (typeof by === "string" && by.length <= 32) {
    try {
      ms = parseDuration(by);
    } catch (error) {
      throw new DpclabError((error as Error).message, "bad-duration");
    }
  } else throw new DpclabError('"by" must be a duration such as "8d" or a number of milliseconds', "bad-duration");
  if (!Number.isFinite(ms) || ms < 0) throw new DpclabError('"by" must be a positive duration such as "8d" or milliseconds', "bad-duration");
  if (ms > MAX_CLOCK_ADVANCE_MS)
    throw new DpclabError(`"by" must be at most ${MAX_CLOCK_ADVANCE_MS / (365 * 86_400_000)} years (got ${ms} ms)`, "bad-duration");
  return Math.round(ms);
}
