import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";

// Every citation of a reference document resolves inside the repository (issue 12 item 5): a comment, message or
// README that cites `docs/<name>.md` names a file of docs/, and the section it names after it — `§1.7`, a range
// `§2.1–§2.7`, a list `§1.2, §1.6`, or a section word such as "pitfalls" — is a heading of that file. No citation
// is left in the old form that pointed outside the repository: a bare `intune.md`, `sp800-157.md`, `anchors.md`
// or `DESIGN.md`, or a `reference/….md` path. (scripts/rewrite-citations.mjs turns the old forms into the new.)

const ROOT = resolve(import.meta.dirname, "../..");
const DOCS = join(ROOT, "docs");
const SELF = relative(ROOT, import.meta.filename);
const SOURCE_DIRS = ["src", "emulators", "fleet", "scenarios", "bench", "test"];

/** Words that name a section of a doc when they follow the citation ("docs/architecture.md pitfalls"). */
const SECTION_WORDS = ["pitfalls", "rates", "conventions", "determinism", "errors", "layout", "data flow", "clock"];

interface Citation {
  /** Offset of the citation in the text. */
  index: number;
  /** The doc's file name inside docs/, e.g. "intune.md". */
  doc: string;
  /** The section numbers cited after it, e.g. ["1.2", "1.6", "1.8"]. */
  sections: string[];
  /** A section word cited after it, e.g. "pitfalls". */
  word?: string;
}

const DOC_CITATION = /(?<![\w.-])docs\/([\w.-]+\.md)/g;
/** One section reference of a chain: a separator (except for the first), §N[.N…], then qualifiers such as "step 8" or "iOS". */
const CHAIN_LINK = /^(?:\s*(?:,|–|-|\/|and)\s*|\s+)?§(\d+(?:\.\d+)*)(?:\s+(?:steps?\s+\d+(?:\s*[–-]\s*\d+)?|iOS|Android))*/;

/** The `docs/<name>.md` citations of a text, with the sections each one names. */
function findCitations(text: string): Citation[] {
  const out: Citation[] = [];
  for (const m of text.matchAll(DOC_CITATION)) {
    const index = m.index as number;
    let rest = text.slice(index + m[0].length).replace(/^[`"'*]/, "");
    const sections: string[] = [];
    for (let link = CHAIN_LINK.exec(rest); link; link = CHAIN_LINK.exec(rest)) {
      sections.push(link[1] as string);
      rest = rest.slice(link[0].length);
    }
    const citation: Citation = { index, doc: m[1] as string, sections };
    if (sections.length === 0) {
      const after = text
        .slice(index + m[0].length)
        .replace(/^[`*]?\s+["'“]?/, "")
        .toLowerCase();
      const word = SECTION_WORDS.find((w) => after.startsWith(w) && !/^[a-z]/.test(after.slice(w.length)));
      if (word) citation.word = word;
    }
    out.push(citation);
  }
  return out;
}

/** Citations in the old form, which pointed outside the repository. */
function findOldForms(text: string): { index: number; text: string }[] {
  const out: { index: number; text: string }[] = [];
  for (const m of text.matchAll(/(?<![\w.-])((?:[\w.-]+\/|\/)*)((?:intune|sp800-157|anchors|DESIGN)\.md)/g)) {
    if ((m[1] as string).endsWith("docs/") && m[2] !== "DESIGN.md") continue; // docs/x.md, or ../../docs/x.md from code
    out.push({ index: m.index as number, text: m[0] });
  }
  for (const m of text.matchAll(/(?<![\w.-])(?:[\w.-]+\/|\/)*reference\/[\w.-]+\.md/g)) {
    const start = m.index as number;
    const overlaps = out.some((o) => start < o.index + o.text.length && o.index < start + m[0].length);
    if (!overlaps) out.push({ index: start, text: m[0] });
  }
  return out.sort((a, b) => a.index - b.index);
}

/** The numbers ("1.2", "2", …) and titles of a markdown file's headings: "## §1.2 Title", "### 1.2 Title", "## 2. Title". */
function headingsOf(markdown: string): { numbers: Set<string>; titles: string[] } {
  const numbers = new Set<string>();
  const titles: string[] = [];
  for (const line of markdown.split("\n")) {
    const h = /^#{1,6}\s+(.*)$/.exec(line);
    if (!h) continue;
    const title = (h[1] as string).trim();
    titles.push(title.toLowerCase());
    const n = /^§?(\d+(?:\.\d+)*)\.?(?:\s|$)/.exec(title);
    if (n) numbers.add(n[1] as string);
    for (const s of title.matchAll(/§(\d+(?:\.\d+)*)/g)) numbers.add(s[1] as string);
  }
  return { numbers, titles };
}

/** What is wrong with the citations of `files` (path → text), against `docs` (file name → markdown). */
function citationProblems(files: Map<string, string>, docs: Map<string, string>): string[] {
  const problems: string[] = [];
  const headings = new Map([...docs].map(([name, md]) => [name, headingsOf(md)]));
  const where = (text: string, index: number) => text.slice(0, index).split("\n").length;
  for (const [path, text] of files) {
    for (const c of findCitations(text)) {
      const at = `${path}:${where(text, c.index)}`;
      const h = headings.get(c.doc);
      if (!h) {
        problems.push(`${at}: docs/${c.doc} does not exist`);
        continue;
      }
      for (const s of c.sections) if (!h.numbers.has(s)) problems.push(`${at}: docs/${c.doc} has no section §${s}`);
      if (c.word && !h.titles.some((t) => t.includes(c.word as string))) problems.push(`${at}: docs/${c.doc} has no "${c.word}" section`);
    }
    for (const o of findOldForms(text)) {
      problems.push(`${path}:${where(text, o.index)}: old citation "${o.text}" (cite docs/…; scripts/rewrite-citations.mjs)`);
    }
  }
  return problems;
}

function walk(dir: string, keep: (path: string) => boolean, out: string[] = []): string[] {
  if (!existsSync(dir)) return out;
  for (const entry of readdirSync(dir)) {
    if (entry === "node_modules" || entry === "dist" || entry.startsWith(".")) continue;
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) walk(path, keep, out);
    else if (keep(path)) out.push(path);
  }
  return out;
}

function repositoryFiles(): Map<string, string> {
  const paths = [
    ...SOURCE_DIRS.flatMap((d) => walk(join(ROOT, d), (p) => p.endsWith(".ts") || p.endsWith("README.md"))),
    join(ROOT, "README.md"),
    ...walk(DOCS, (p) => p.endsWith(".md")),
  ];
  const files = new Map<string, string>();
  for (const p of paths) {
    const rel = relative(ROOT, p);
    if (rel === SELF || rel.startsWith("test/fixtures/")) continue;
    files.set(rel, readFileSync(p, "utf8"));
  }
  return files;
}

function repositoryDocs(): Map<string, string> {
  return new Map(walk(DOCS, (p) => p.endsWith(".md")).map((p) => [relative(DOCS, p), readFileSync(p, "utf8")]));
}

describe("the checker itself, on synthetic text", () => {
  const docs = new Map([
    ["intune.md", "# Intune\n## §1 Admin\n### §1.2 One issuer\n### §1.3 Deleting\n### §1.7 Prerequisites\n## §2 Flows\n### §2.1 iOS\n### §2.7 Android\n"],
    ["sp800-157.md", "# Catalogue\n## 0. Sources\n### 1.1 General & issuance\n## 2. Certificate profile\n"],
    ["architecture.md", "# Architecture\n## Conventions\n### Determinism\n## Pitfalls\n## Rates measured on these machines\n"],
  ]);

  it("reads single sections, lists, ranges, steps, backticks and section words", () => {
    expect(findCitations("see docs/intune.md §1.2, §1.7 and §2.1 step 9, §2.7).").map((c) => c.sections)).toEqual([["1.2", "1.7", "2.1", "2.7"]]);
    expect(findCitations("(docs/intune.md §2.1–§2.7)")[0]?.sections).toEqual(["2.1", "2.7"]);
    expect(findCitations("(docs/intune.md §2.1 iOS / §2.7 Android)")[0]?.sections).toEqual(["2.1", "2.7"]);
    expect(findCitations("`docs/sp800-157.md` §2; FIPS 201-3 §6.2.3.1")[0]?.sections).toEqual(["2"]);
    expect(findCitations("(docs/sp800-157.md §1.1; RFC 5280 §6)")[0]?.sections).toEqual(["1.1"]);
    expect(findCitations("slots change (docs/architecture.md pitfalls).")[0]).toMatchObject({ doc: "architecture.md", sections: [], word: "pitfalls" });
    expect(findCitations('docs/architecture.md "Determinism"')[0]?.word).toBe("determinism");
    expect(findCitations("docs/architecture.md measured it")[0]?.word).toBeUndefined();
    expect(findCitations("docs/architecture.md ratesfoo")[0]?.word).toBeUndefined();
  });

  it("finds every old form, and none in the new form", () => {
    const old = [
      "intune.md §1.7",
      "sp800-157.md",
      "anchors.md §5",
      "DESIGN.md pitfalls",
      "reference/sp800-157.md",
      "../shared/reference/intune.md",
      "/work/shared/reference/sp800-157.md",
      "../../../shared/reference/sp800-157.md",
      "docs/DESIGN.md",
      "reference/other.md",
    ];
    for (const o of old) expect(findOldForms(`x (${o}) y`).length, o).toBe(1);
    expect(findOldForms("docs/intune.md §1.7, docs/sp800-157.md, docs/anchors.md §5, docs/architecture.md, ../../docs/sp800-157.md")).toEqual([]);
    expect(findOldForms("seed-intune-derived-credentials.sv.md, myintune.md, README.md")).toEqual([]);
  });

  it("reports a missing file, a missing section, a missing section word and an old form; passes good text", () => {
    const files = new Map([
      ["good.ts", "// docs/intune.md §1.2, §1.7; docs/sp800-157.md §2 CERT-05; docs/architecture.md rates\n// docs/architecture.md conventions"],
      ["bad.ts", "// docs/nope.md §1\n// docs/intune.md §1.4\n// docs/sp800-157.md §1.1–§1.9\n// docs/architecture.md layout\n// intune.md §1.2"],
    ]);
    expect(citationProblems(files, docs)).toEqual([
      "bad.ts:1: docs/nope.md does not exist",
      "bad.ts:2: docs/intune.md has no section §1.4",
      "bad.ts:3: docs/sp800-157.md has no section §1.9",
      'bad.ts:4: docs/architecture.md has no "layout" section',
      'bad.ts:5: old citation "intune.md" (cite docs/…; scripts/rewrite-citations.mjs)',
    ]);
  });

  it("reads headings numbered with §, with a bare number, or with a trailing dot", () => {
    const h = headingsOf("## §0 Versions\n### §1.2 Issuer\n### 1.3 Maintenance\n## 2. Profile\n## Pitfalls\n");
    expect([...h.numbers].sort()).toEqual(["0", "1.2", "1.3", "2"]);
    expect(h.titles).toContain("pitfalls");
  });
});

describe("the repository's citations", () => {
  const docs = repositoryDocs();
  const files = repositoryFiles();

  it("has the docs the code cites", () => {
    for (const name of ["architecture.md", "sp800-157.md", "intune.md", "anchors.md"]) expect(docs.has(name), name).toBe(true);
    expect(files.size).toBeGreaterThan(100);
  });

  it("every citation resolves inside docs/, and none is left in the old form", () => {
    expect(citationProblems(files, docs)).toEqual([]);
  });
});
