import { expect } from "vitest";
import { DpclabError } from "../../src/errors.js";

/** Awaits something that must be refused, and returns the DpclabError it was refused with (a bare throw fails the test). */
export async function refusal(p: Promise<unknown> | (() => unknown)): Promise<DpclabError> {
  try {
    await (typeof p === "function" ? p() : p);
  } catch (e) {
    expect(e).toBeInstanceOf(DpclabError);
    return e as DpclabError;
  }
  throw new Error("expected a refusal");
}
