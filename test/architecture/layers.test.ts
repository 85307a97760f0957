/**
 * The layers of the house: every import runs downwards, so a layer can be read, tested and changed knowing only what
 * is below it.
 *
 *   scripts -> policies -> offline -> stacks -> components -> aws-facts
 *
 * (index.ts, the program's entry, sits with stacks.) A module may import its own layer and any layer below; an
 * import that runs up (a component reading a policy's data, a stack typing itself from a policy's settings) fails
 * here with the file, the line and both layers. Type-only imports count: they tie the layers together just the same.
 */
import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";

import { ROOT } from "../harness";

const LAYERS = ["aws-facts", "components", "stacks", "offline", "policies", "scripts"] as const;

function layerOf(file: string): number | undefined {
    const rel = path.relative(ROOT, file).split(path.sep);
    if (rel.length === 1 && rel[0] === "index.ts") return LAYERS.indexOf("stacks");
    const i = LAYERS.indexOf(rel[0] as (typeof LAYERS)[number]);
    return i >= 0 ? i : undefined;
}

function sourceFiles(dir: string): string[] {
    return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
        const full = path.join(dir, e.name);
        if (e.isDirectory()) return e.name === "node_modules" ? [] : sourceFiles(full);
        return /\.(ts|js)$/.test(e.name) && !e.name.endsWith(".d.ts") ? [full] : [];
    });
}

/** Relative module specifiers with their line numbers: `import`/`export ... from`, `import(...)`, `require(...)`. */
export function relativeImports(text: string): Array<{ spec: string; line: number }> {
    const out: Array<{ spec: string; line: number }> = [];
    const re = /(?:\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*|^\s*import\s+)(["'])(\.{1,2}\/[^"']*)\1/gm;
    for (const m of text.matchAll(re)) out.push({ spec: m[2], line: text.slice(0, m.index).split("\n").length });
    return out;
}

/** Every import that runs up a layer, as `file:line (layer) imports spec (layer)`. */
export function upwardImports(files: string[]): string[] {
    return files.flatMap((file) => {
        const from = layerOf(file);
        if (from === undefined) return [];
        return relativeImports(fs.readFileSync(file, "utf8")).flatMap(({ spec, line }) => {
            const to = layerOf(path.resolve(path.dirname(file), spec));
            return to !== undefined && to > from ? [`${path.relative(ROOT, file)}:${line} (${LAYERS[from]}) imports ${spec} (${LAYERS[to]})`] : [];
        });
    });
}

describe("layers: every import runs downwards", () => {
    const files = [path.join(ROOT, "index.ts"), ...LAYERS.flatMap((l) => sourceFiles(path.join(ROOT, l)))];

    it("reads the imports of every layer (the check sees what it judges)", () => {
        for (const layer of LAYERS) expect(files.some((f) => layerOf(f) === LAYERS.indexOf(layer)), layer).to.equal(true);
        const components = files.filter((f) => layerOf(f) === 1).flatMap((f) => relativeImports(fs.readFileSync(f, "utf8")));
        expect(components.some((i) => i.spec.includes("aws-facts/")), "components import the AWS facts").to.equal(true);
    });

    it("no module imports a layer above its own", () => {
        expect(upwardImports(files)).to.deep.equal([]);
    });

    it("finds an upward import in every form a module may write one", () => {
        const dir = path.join(ROOT, "components");
        const layersImported = (text: string) => relativeImports(text).map(({ spec }) => layerOf(path.resolve(dir, spec)));
        const forms = [
            'import { AWS_DATA } from "../policies/aws/rules";',
            'import type { PolicySettings } from "../policies/lib/settings";',
            'export { x } from "../stacks/config";',
            'const m = require("../offline/run");',
            'const m = await import("../scripts/plan");',
            'import "../policies/packs";',
        ];
        for (const form of forms) expect(layersImported(form), form).to.have.length(1).and.satisfy((l: number[]) => l[0] > 1);
        expect(relativeImports('import { a } from "./iam";\nimport b from "@pulumi/aws";')).to.deep.equal([{ spec: "./iam", line: 1 }]);
    });
});
