/**
 * scripts/register-ts.js: the tests, the plan and the scripts load exactly what sucrase's own hook
 * (`--require sucrase/register/ts`, the one `pulumi up` uses through Pulumi.yaml) would give them, from a cache that an
 * edit cannot leave stale.
 */
import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";

import { ROOT } from "../harness";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const register = require("../../scripts/register-ts.js") as {
    compile(code: string, file: string): string;
    entryOf(code: string, file: string): string;
};

/** The function sucrase's registerTS hands to pirates: what `node -r sucrase/register/ts` runs each file through. */
function sucraseOwnHook(): (code: string, file: string) => string {
    /* eslint-disable @typescript-eslint/no-require-imports */
    const pirates = require("pirates") as { addHook: (fn: (code: string, file: string) => string, opts: unknown) => () => void };
    const original = pirates.addHook;
    let hook: ((code: string, file: string) => string) | undefined;
    pirates.addHook = (fn) => {
        hook = fn;
        return () => undefined;
    };
    try {
        require("sucrase/dist/register").registerTS();
    } finally {
        pirates.addHook = original;
    }
    /* eslint-enable @typescript-eslint/no-require-imports */
    return hook!;
}

describe("the TypeScript loader (scripts/register-ts.js)", () => {
    const hook = sucraseOwnHook();
    const files = ["stacks/main.ts", "components/metaflow-service/index.ts", "policies/lib/view.ts", "offline/mocks.ts"].map((f) => path.join(ROOT, f));

    it("gives every file exactly what sucrase's own hook gives it, from the cache as when transformed", () => {
        for (const file of files) {
            const code = fs.readFileSync(file, "utf8");
            const expected = hook(code, file);
            expect(register.compile(code, file), file).to.equal(expected);
            expect(fs.existsSync(register.entryOf(code, file)), "cached").to.equal(true);
            expect(register.compile(code, file), `${file} from the cache`).to.equal(expected);
        }
    });

    it("an edited file misses the cache and is transformed anew; the same text elsewhere is another entry", () => {
        const file = files[0];
        const code = fs.readFileSync(file, "utf8");
        const edited = `${code}\nexport const added = 1;\n`;
        expect(register.entryOf(edited, file)).to.not.equal(register.entryOf(code, file));
        expect(register.compile(edited, file)).to.contain("const added = 1; exports.added = added;").and.equal(hook(edited, file));
        expect(register.entryOf(code, path.join(ROOT, "elsewhere.ts"))).to.not.equal(register.entryOf(code, file));
    });
});
