import type { LabStack } from "../../emulators/stack/index.js";

/**
 * What a client of the lab stack can observe of its state, as one JSON text: the tenant (devices, groups, profiles,
 * settings, outbox), every issuer's credentials, every CA's registry (issued, revoked, CRL number), the cards and
 * identity accounts, the cardholder notices, the clock and the fault knobs. Two equal snapshots: nothing a refused
 * request may change has changed. Left out on purpose: audit transcripts (a refusal is recorded) and attempt
 * counters (a wrong guess counts, by design).
 */
export function stackSnapshot(stack: LabStack): string {
  const issuers = Object.fromEntries(
    Object.entries(stack.issuers).map(([name, i]) => [name, i.issuance.credentials().map(({ transcript: _t, ...record }) => record)]),
  );
  return JSON.stringify({
    clock: stack.clock.now().toISOString(),
    faults: stack.faults.knobs,
    tenant: stack.tenant.toJSON(),
    issuers,
    registries: stack.authorities().map((a) => ({ name: a.name, registry: a.registry.toJSON() })),
    cards: stack.cardIssuer.cards(),
    accounts: stack.cardIssuer.cards().map((_c, i) => stack.cardIssuer.accountStatus(i)),
    notices: stack.notices.list(),
  });
}
