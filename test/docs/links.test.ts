/**
 * Every relative link of the README, docs/ and templates/README.md resolves: the file (or folder) exists, and an
 * anchor names a heading of the target as GitHub makes its id.
 */
import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";

import { ROOT } from "../harness";
import { docFiles } from "./commands";

/** The text outside fenced code blocks, with inline code spans emptied (links are not links there). */
function prose(text: string): string {
    return text.replace(/^```[^\n]*\n[\s\S]*?^```[ \t]*$/gm, "").replace(/`[^`\n]*`/g, "``");
}

/** The ids GitHub gives a Markdown file's headings (lower case, punctuation dropped, spaces to hyphens, -1 on repeats). */
export function headingIds(text: string): Set<string> {
    const ids = new Set<string>();
    const seen = new Map<string, number>();
    const stripped = text.replace(/^```[^\n]*\n[\s\S]*?^```[ \t]*$/gm, "");
    for (const m of stripped.matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)) {
        const base = m[1]
            .replace(/\[([^\]]*)\]\([^)]*\)/g, "$1")
            .replace(/`/g, "")
            .toLowerCase()
            .replace(/[^\p{L}\p{N}\s_-]/gu, "")
            .replace(/\s/g, "-");
        const n = seen.get(base) ?? 0;
        seen.set(base, n + 1);
        ids.add(n ? `${base}-${n}` : base);
    }
    return ids;
}

describe("links between the docs", () => {
    const docs = [...docFiles(), "templates/README.md"];

    it("resolve to files, and to headings where they name one", () => {
        const broken: string[] = [];
        let checked = 0;
        for (const doc of docs) {
            for (const m of prose(fs.readFileSync(path.join(ROOT, doc), "utf8")).matchAll(/\]\(([^)\s]+)\)/g)) {
                const target = m[1];
                if (/^[a-z]+:/.test(target)) continue;
                checked++;
                const [file, anchor] = target.split("#");
                const resolved = file ? path.join(path.dirname(path.join(ROOT, doc)), file) : path.join(ROOT, doc);
                if (!fs.existsSync(resolved)) broken.push(`${doc}: ${target} (no such file)`);
                else if (anchor !== undefined && !headingIds(fs.readFileSync(resolved, "utf8")).has(anchor)) broken.push(`${doc}: ${target} (no such heading)`);
            }
        }
        expect(broken).to.deep.equal([]);
        expect(checked).to.be.greaterThan(40);
    });

    it("makes heading ids as GitHub does", () => {
        const ids = headingIds("# A\n## 4. A first deployment\n## AWS constraints (`metaflow-aws-constraints`)\n```yaml\n# Pulumi.dev.yaml\n```\n## A\n");
        expect([...ids]).to.deep.equal(["a", "4-a-first-deployment", "aws-constraints-metaflow-aws-constraints", "a-1"]);
    });
});
