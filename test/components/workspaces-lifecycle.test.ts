/**
 * The lifecycle script's inputs and size, without running it (test/integration/workspaces/lifecycle.test.ts runs it
 * with bash against moto): every value is written inside single quotes, and some also inside the double quotes of a log
 * line, so any character that ends a quote, starts a substitution, or splits a word or a line must be refused, in each
 * field (a `;` inside the quotes is harmless, and a URL's path may hold one); and the base64
 * content must fit AWS's StudioLifecycleConfigContent (16384 characters).
 */
import { expect } from "chai";

import { LIFECYCLE_CONTENT_MAX, lifecycleContent, LifecycleInputs, lifecycleInputProblems, lifecycleScript } from "../../components/workspaces/lifecycle";

const VALID: Required<LifecycleInputs> = {
    stack: "dev",
    region: "us-east-1",
    profileParameterName: "/mf-dev/metaflow/profile",
    metaflowVersion: "2.19.38",
    templatesBucket: "mf-dev-artifacts",
    templatesPrefix: "workspaces/templates/",
    pipIndexUrl: "https://pypi.internal.example/simple/",
};

const FIELDS = Object.keys(VALID) as Array<keyof LifecycleInputs>;

/** Shell injections, each placed after a value's first character, and at its end. */
const INJECTIONS: Record<string, string> = {
    "a single quote": "'",
    "a double quote": '"',
    "a command substitution": "$(touch /tmp/pwned)",
    "a variable": "${HOME}",
    "a backtick": "`id`",
    "a newline": "\nid",
    "a trailing newline": "\n",
    "a backslash": "\\",
    "a space": " x",
};

function inject(value: string, text: string): string[] {
    return [value.slice(0, 1) + text + value.slice(1), value + text];
}

describe("workspaces: the lifecycle script's inputs", () => {
    it("accepts the platform's values, with and without a package index", () => {
        expect(lifecycleInputProblems(VALID)).to.deep.equal([]);
        const { pipIndexUrl: _unused, ...withoutIndex } = VALID;
        expect(lifecycleInputProblems(withoutIndex)).to.deep.equal([]);
        expect(lifecycleScript(withoutIndex)).to.not.contain("--index-url");
        expect(lifecycleScript(VALID)).to.contain(`--index-url '${VALID.pipIndexUrl}'`);
    });

    for (const field of FIELDS) {
        for (const [name, text] of Object.entries(INJECTIONS)) {
            it(`refuses ${name} in ${field}, naming the field, and renders no script with it`, () => {
                for (const value of inject(VALID[field], text)) {
                    const inputs = { ...VALID, [field]: value };
                    expect(lifecycleInputProblems(inputs), JSON.stringify(value)).to.deep.equal([`${field}: ${JSON.stringify(value)} is not allowed in the lifecycle script`]);
                    expect(() => lifecycleScript(inputs)).to.throw(`lifecycle configuration: ${field}: `);
                    expect(() => lifecycleContent(inputs)).to.throw(`lifecycle configuration: ${field}: `);
                }
            });
        }
    }

    it("names every refused field at once", () => {
        const bad = { ...VALID, stack: "dev'", region: "us-east-1`id`", templatesPrefix: "t/$(id)/" };
        expect(lifecycleInputProblems(bad).map((p) => p.split(":")[0])).to.deep.equal(["stack", "region", "templatesPrefix"]);
    });

    it("refuses a package index that is not https", () => {
        expect(lifecycleInputProblems({ ...VALID, pipIndexUrl: "http://pypi.internal.example/simple/" })).to.have.length(1);
    });

    it("refuses a Metaflow version that is not exact (pip would read a range or an extra)", () => {
        for (const v of ["2.19", ">=2.19.38", "2.19.38 ", "2.19.38[x]", "2.19.*"]) expect(lifecycleInputProblems({ ...VALID, metaflowVersion: v }), v).to.have.length(1);
    });
});

describe("workspaces: the lifecycle configuration's content", () => {
    it("is the script in base64, well under AWS's 16384 characters for the platform's values", () => {
        expect(LIFECYCLE_CONTENT_MAX).to.equal(16384);
        const content = lifecycleContent(VALID);
        expect(Buffer.from(content, "base64").toString("utf8")).to.equal(lifecycleScript(VALID));
        expect(content.length).to.be.below(LIFECYCLE_CONTENT_MAX / 2);
    });

    it("is accepted at exactly 16384 characters of base64 and refused one block over", () => {
        // The index URL appears once in the script: pad its path until the script is 12288 bytes (16384 of base64).
        const base = "https://pypi.internal.example/";
        const baseBytes = Buffer.byteLength(lifecycleScript({ ...VALID, pipIndexUrl: base }), "utf8");
        const atLimit = { ...VALID, pipIndexUrl: base + "a".repeat((LIFECYCLE_CONTENT_MAX / 4) * 3 - baseBytes) };
        expect(lifecycleContent(atLimit)).to.have.length(LIFECYCLE_CONTENT_MAX);
        const over = { ...atLimit, pipIndexUrl: atLimit.pipIndexUrl + "a" };
        expect(lifecycleInputProblems(over)).to.deep.equal([]);
        expect(() => lifecycleContent(over)).to.throw(`lifecycle configuration: ${LIFECYCLE_CONTENT_MAX + 4} characters of base64; SageMaker accepts ${LIFECYCLE_CONTENT_MAX}`);
    });
});
