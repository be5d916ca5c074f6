import { describe, expect, it } from "vitest";
import { dpclab } from "../helpers/cli.js";

// The user's argv picks a command: names of Object.prototype members must not find one (issue 10, outside strings
// never become plain-object keys). `dpclab constructor` used to run Object and crash setting the exit code.
const NAMES = ["constructor", "__proto__", "toString", "hasOwnProperty", "valueOf"];

async function expectUsageError(args: string[], message: RegExp): Promise<void> {
  const r = await dpclab(args);
  const what = `dpclab ${args.join(" ")} → ${r.code}\n${r.stdout}${r.stderr}`;
  expect(r.code, what).toBe(2);
  expect(r.stderr.trim().split("\n"), what).toHaveLength(1);
  expect(r.stderr, what).toMatch(message);
  expect(r.stderr, what).not.toMatch(/internal error|TypeError| {4}at /);
}

describe("CLI dispatch by name", () => {
  it.each(NAMES)("dpclab %s is an unknown command", (name) => expectUsageError([name], new RegExp(`unknown command "${name}"`)));

  it.each(NAMES)("subcommands and flags named %s are usage errors", async (name) => {
    await Promise.all([
      expectUsageError(["cards", name], /unknown cards command/),
      expectUsageError(["accounts", name], /unknown accounts command/),
      expectUsageError(["pki", name], /unknown pki command/),
      expectUsageError(["cards", "list", `--${name}`], /Unknown option/),
      expectUsageError(["pki-auth", `--${name}`, "1"], /Unknown option/),
    ]);
  });
});
