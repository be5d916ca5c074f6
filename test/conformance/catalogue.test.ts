import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { CATALOGUE, CERTIFICATE_CHECKS, EDITIONS, type Edition } from "../../src/conformance/index.js";

// The rule catalogue against the requirement catalogue it transcribes, docs/sp800-157.md (in the repository, so
// every clone runs the cross-check).
const REFERENCE = resolve(import.meta.dirname, "../../docs/sp800-157.md");

interface ReferenceRow {
  id: string;
  section: string;
  text: string;
  source: string;
  confidence: string;
}

/** The table rows of the reference: ID first, Source and Conf last, under "## 2." / "### 1.x" headings. */
function referenceRows(markdown: string): ReferenceRow[] {
  const rows: ReferenceRow[] = [];
  let section = "";
  for (const line of markdown.split("\n")) {
    const heading = /^#{2,3} (\d+(?:\.\d+)?)\.? /.exec(line);
    if (heading) section = heading[1] as string;
    if (!/^\| (DC|CERT)-/.test(line)) continue;
    const cells = line
      .split("|")
      .slice(1, -1)
      .map((c) => c.trim());
    rows.push({ id: cells[0] as string, section, text: cells.slice(1, -2).join(" | "), source: cells.at(-2) as string, confidence: cells.at(-1) as string });
  }
  return rows;
}

const ALL: Edition[] = ["2014", "r1-ipd", "r1-fpd"];

/** The derivation catalogue.ts states, applied to the reference's own words. */
function expectedEditions(row: ReferenceRow): Edition[] {
  // Sources that bind every edition alike (FIPS 201-3, CP v2.6, fpkilint, SP 800-78-5; "as cited" = FIPS + CP).
  if (/FIPS201-3|CP2\.6|LINT|78-5|as cited/.test(row.source)) return ALL;
  const out = new Set<Edition>();
  if (/\b(r1|ipd)\b/.test(row.source)) out.add("r1-ipd");
  if (/\b(r1|fpd)\b/.test(row.source)) out.add("r1-fpd");
  if (/2014|CP1\.24/.test(`${row.source} ${row.confidence} ${row.text}`)) out.add("2014");
  // The r1 change log is where r1 says it removed the 2014 token taxonomy: a 2014-only row.
  if (row.id === "DC-TOK-05") return ["2014"];
  return ALL.filter((e) => out.has(e));
}

describe("the catalogue transcribes docs/sp800-157.md", () => {
  const markdown = readFileSync(REFERENCE, "utf8");
  const rows = referenceRows(markdown);

  it("covers every rule ID that appears anywhere in the reference, and invents none", () => {
    const mentioned = new Set(markdown.match(/\b(?:DC-[A-Z]+-\d{2}|CERT-\d{2})\b/g));
    expect(mentioned.size).toBeGreaterThanOrEqual(72);
    const catalogued = CATALOGUE.filter((r) => !r.refines).map((r) => r.id);
    expect([...mentioned].filter((id) => !catalogued.includes(id))).toEqual([]);
    expect(catalogued.filter((id) => !mentioned.has(id))).toEqual([]);
    // dpclab's own rules refine a reference row and name the worksheet they come from.
    for (const r of CATALOGUE.filter((x) => x.refines)) {
      expect(mentioned.has(r.refines as string), r.id).toBe(true);
      expect(r.id.startsWith(r.refines as string), r.id).toBe(true);
      expect(r.source, r.id).toMatch(/Worksheet|LINT|CP/);
    }
  });

  it("keeps the reference's order, sections, Source and Conf columns verbatim", () => {
    expect(CATALOGUE.filter((r) => !r.refines).map((r) => r.id)).toEqual(rows.map((r) => r.id));
    for (const row of rows) {
      const rule = CATALOGUE.find((r) => r.id === row.id);
      expect({ id: rule?.id, section: rule?.section, source: rule?.source, confidence: rule?.confidence }).toEqual({
        id: row.id,
        section: row.section,
        source: row.source,
        confidence: row.confidence,
      });
    }
  });

  it("tags each rule with the editions its sources name", () => {
    for (const row of rows) {
      expect({ id: row.id, editions: CATALOGUE.find((r) => r.id === row.id)?.editions }).toEqual({ id: row.id, editions: expectedEditions(row) });
    }
  });

  it("says what evidence each area needs, as the reference's sections imply", () => {
    const evidence = (id: string) => CATALOGUE.find((r) => r.id === id)?.evidence;
    for (const row of rows) {
      if (row.id.startsWith("CERT-")) expect(evidence(row.id), row.id).toBe("certificate");
      if (/^DC-(LNK|TRM)-/.test(row.id)) expect(evidence(row.id), row.id).toBe("lifecycle");
    }
  });
});

describe("the catalogue on its own", () => {
  it("has unique IDs and complete rows", () => {
    expect(new Set(CATALOGUE.map((r) => r.id)).size).toBe(CATALOGUE.length);
    for (const r of CATALOGUE) {
      expect(r.requirement.length, r.id).toBeGreaterThan(20);
      expect(r.editions.length, r.id).toBeGreaterThan(0);
      expect(
        r.editions.every((e) => (EDITIONS as readonly string[]).includes(e)),
        r.id,
      ).toBe(true);
      expect(["shall", "should", "may", "informative"], r.id).toContain(r.strength);
    }
  });

  it("words strength as the reference does where it says so", () => {
    const rule = (id: string) => CATALOGUE.find((r) => r.id === id);
    expect(rule("DC-ISS-06")?.strength).toBe("should"); // CP wording "should"; the 2014 "shall" is unverified
    expect(rule("DC-ACT-04")).toMatchObject({ strength: "shall", strengthByEdition: { "r1-fpd": "may" } });
    expect(rule("DC-ISS-11")?.strength).toBe("may");
    expect(rule("DC-KEY-02")?.strength).toBe("informative");
    expect(CATALOGUE.filter((r) => r.id.startsWith("CERT-") && !r.refines).every((r) => r.strength === "shall")).toBe(true);
  });

  it("issue 11 §4: the rows changed against the FPKI derived PIV Authentication worksheet cite their sources", () => {
    const rule = (id: string) => CATALOGUE.find((r) => r.id === id);
    // piv-interim mandatory; both encodings; EKU optional and anyEKU allowed in CERT-03; caIssuers http present, not first.
    for (const id of ["CERT-03", "CERT-05", "CERT-09"]) {
      expect(rule(id)?.amendments?.length, id).toBeGreaterThan(0);
      for (const a of rule(id)?.amendments ?? []) {
        expect(a.change.length, id).toBeGreaterThan(30);
        expect(a.source, id).toMatch(/Worksheet|FIPS 201-3/);
      }
    }
    expect(
      rule("CERT-09")
        ?.amendments?.map((a) => a.source)
        .join(" "),
    ).toMatch(/FIPS 201-3 Appendix B\.2/);
    expect(rule("CERT-03a")).toMatchObject({ strength: "should", refines: "CERT-03", evidence: "certificate" });
    expect(rule("CERT-03a")?.source).toMatch(/should include id-pkinit-KPClientAuth/);
    expect(rule("CERT-03b")).toMatchObject({ strength: "should", refines: "CERT-03" });
    // Everything else in the catalogue is a reference row, judged as worded.
    expect(CATALOGUE.filter((r) => r.amendments).map((r) => r.id)).toEqual(["CERT-03", "CERT-05", "CERT-09"]);
    expect(CATALOGUE.filter((r) => r.refines).map((r) => r.id)).toEqual(["CERT-03a", "CERT-03b"]);
  });

  it("every certificate-evidence rule has a check, and every check tests a catalogued certificate rule", () => {
    const checked = new Set(CERTIFICATE_CHECKS.map((c) => c.rule));
    expect(CATALOGUE.filter((r) => r.evidence === "certificate" && !checked.has(r.id)).map((r) => r.id)).toEqual([]);
    for (const c of CERTIFICATE_CHECKS) {
      expect(CATALOGUE.find((r) => r.id === c.rule)?.evidence, c.id).toBe("certificate");
      expect(c.id).toMatch(new RegExp(`^T-${c.rule}-\\d+$`));
    }
    expect(new Set(CERTIFICATE_CHECKS.map((c) => c.id)).size).toBe(CERTIFICATE_CHECKS.length);
  });
});
