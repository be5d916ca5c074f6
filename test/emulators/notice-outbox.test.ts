import { describe, expect, it } from "vitest";
import type { CardholderNotice } from "../../emulators/derived/types.js";
import { NoticeOutbox } from "../../emulators/shared/index.js";

const notice = (n: number) => ({ to: `user${n}@dpclab.test`, subject: `notice ${n}` }) as unknown as CardholderNotice;

describe("NoticeOutbox (DC-ISS-09 notices, bounded)", () => {
  it("lists the newest `limit` notices, oldest first, at every size", () => {
    const outbox = new NoticeOutbox(5);
    for (let n = 1; n <= 23; n++) {
      outbox.notify(notice(n));
      const want = Array.from({ length: Math.min(n, 5) }, (_, i) => `notice ${n - Math.min(n, 5) + 1 + i}`);
      expect(outbox.list().map((x) => (x as unknown as { subject: string }).subject)).toEqual(want);
    }
  });
});
