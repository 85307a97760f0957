/**
 * Short stories: no function of the program, the components, the policies or the tools is longer than 80 lines
 * (signature to closing brace), so each reads as one step with a name. A component's constructor is the sequence of
 * its named steps (components/metaflow-service/database.ts is the model); a long switch is a table of small functions.
 */
import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import * as ts from "typescript";

import { ROOT } from "../harness";

const MAX_LINES = 80;
const LAYERS = ["aws-facts", "components", "stacks", "offline", "policies", "scripts"];

function sourceFiles(dir: string): string[] {
    return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
        const full = path.join(dir, e.name);
        if (e.isDirectory()) return sourceFiles(full);
        return e.name.endsWith(".ts") && !e.name.endsWith(".d.ts") ? [full] : [];
    });
}

/** Functions with a body longer than `max` lines in `text`, as `name (N lines) at line L`. */
export function longFunctions(file: string, text: string, max = MAX_LINES): string[] {
    // No parent pointers and no JSDoc: positions and names are all this needs, at half the parse.
    const source = ts.createSourceFile(file, text, { languageVersion: ts.ScriptTarget.Latest, jsDocParsingMode: ts.JSDocParsingMode.ParseNone }, false);
    const out: string[] = [];
    const visit = (node: ts.Node): void => {
        if (ts.isFunctionLike(node) && "body" in node && node.body) {
            const first = source.getLineAndCharacterOfPosition(node.getStart(source)).line;
            const last = source.getLineAndCharacterOfPosition(node.end).line;
            const name = node.name?.getText(source) ?? (ts.isConstructorDeclaration(node) ? "constructor" : "(anonymous)");
            if (last - first + 1 > max) out.push(`${name} (${last - first + 1} lines) at line ${first + 1}`);
        }
        ts.forEachChild(node, visit);
    };
    visit(source);
    return out;
}

describe("short functions", () => {
    it(`no function in ${LAYERS.join(", ")} or index.ts is longer than ${MAX_LINES} lines`, () => {
        const files = [path.join(ROOT, "index.ts"), ...LAYERS.flatMap((l) => sourceFiles(path.join(ROOT, l)))];
        expect(files.length).to.be.greaterThan(100);
        const long = files.flatMap((f) => longFunctions(f, fs.readFileSync(f, "utf8")).map((l) => `${path.relative(ROOT, f)}: ${l}`));
        expect(long).to.deep.equal([]);
    });

    it("measures constructors, arrow functions and nested functions (an 80-line arrow passes) from signature to closing brace", () => {
        const body = (n: number) => Array.from({ length: n }, (_, i) => `    const x${i} = ${i};`).join("\n");
        const text = `class C {\n  constructor() {\n${body(79)}\n  }\n}\nconst f = () => {\n${body(78)}\n};\nfunction g() {\n  function inner() {\n${body(80)}\n  }\n}\n`;
        expect(longFunctions("probe.ts", text)).to.deep.equal(["constructor (81 lines) at line 2", "g (84 lines) at line 164", "inner (82 lines) at line 165"]);
        expect(longFunctions("probe.ts", text, 100)).to.deep.equal([]);
    });
});
