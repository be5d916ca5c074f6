import { describe, expect, it } from "vitest";
import { parseXml } from "./xml-check.js";

// The checker must itself reject what it claims to catch, or the junit tests prove nothing.
describe("parseXml (test helper)", () => {
  it.each([
    ["<a><b></a></b>", /closes/],
    ["<a>x & y</a>", /bare &/],
    ['<a t="1" t="2"/>', /duplicate/],
    ["<a>1 < 2</a>", /malformed/],
    ["<a/><b/>", /more than one root/],
    ["<a>", /never closed/],
    ["<a>\u0001</a>", /control character/],
  ])("rejects %s", (xml, why) => {
    expect(() => parseXml(xml)).toThrow(why);
  });

  it("accepts and decodes well-formed XML", () => {
    const root = parseXml(`<?xml version="1.0"?>\n<a x="&lt;&amp;&quot;"><!-- c --><b>t &gt; u</b></a>`);
    expect(root.attrs.x).toBe('<&"');
    expect(root.children[0]!.text).toBe("t > u");
  });
});
