import { describe, expect, it } from "vitest";
import type { CardholderNotice } from "../../emulators/derived/types.js";
import { NoticeOutbox } from "../../emulators/shared/index.js";
import { MemoryStore } from "../../src/store/index.js";

const notice = (n: number) => ({ to: `user${n}@dpclab.test`, subject: `notice ${n}` }) as unknown as CardholderNotice;
const subjects = (outbox: NoticeOutbox) => outbox.list().map((x) => (x as unknown as { subject: string }).subject);

describe("NoticeOutbox (DC-ISS-09 notices, bounded)", () => {
  it("lists the newest `limit` notices, oldest first, at every size", () => {
    const store = new MemoryStore();
    const outbox = new NoticeOutbox({ store, limit: 5 });
    for (let n = 1; n <= 23; n++) {
      outbox.notify(notice(n));
      const want = Array.from({ length: Math.min(n, 5) }, (_, i) => `notice ${n - Math.min(n, 5) + 1 + i}`);
      expect(subjects(outbox)).toEqual(want);
      expect(store.read((tx) => tx.size("notices/outbox"))).toBe(Math.min(n, 5)); // the store holds no more than the view
    }
  });

  it("lives in the store: a second outbox on it (a restarted server) lists and appends to the same notices", () => {
    const store = new MemoryStore();
    const first = new NoticeOutbox({ store, limit: 3 });
    for (let n = 1; n <= 4; n++) first.notify(notice(n));
    const second = new NoticeOutbox({ store, limit: 3 });
    expect(subjects(second)).toEqual(["notice 2", "notice 3", "notice 4"]);
    second.notify(notice(5));
    expect(subjects(first)).toEqual(["notice 3", "notice 4", "notice 5"]);
  });

  it("a notice sent inside a transaction that fails is not kept", () => {
    const store = new MemoryStore();
    const outbox = new NoticeOutbox({ store });
    expect(() =>
      store.transaction(() => {
        outbox.notify(notice(1));
        throw new Error("the issuance was refused");
      }),
    ).toThrow("refused");
    expect(outbox.list()).toEqual([]);
  });
});
