/**
 * Writes the plan JSON (`plan --json --show-secrets`) of every shipped stack file, every test fixture stack file and a
 * set of variants that switch on the optional paths (UI, public API, a foundation for dev, triggers, engineers, no
 * monitoring), one file each, into a folder. A refactoring that must not change a single resource is checked by
 * writing the snapshot before and after and comparing the folders byte for byte:
 *
 *   npm run -s plan-snapshot -- .bench/plans-before   # on the commit before
 *   npm run -s plan-snapshot -- .bench/plans-after    # on the change
 *   diff -r .bench/plans-before .bench/plans-after    # prints nothing when the plans are identical
 *
 * The plans run one after the other in this process through the plan command's own entry point (`cli`), which prints
 * exactly what `npm run -s plan -- --config <file> --json --show-secrets` prints (the same bytes as one child process
 * per plan, at a quarter of the time).
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

import { PROJECT } from "../stacks/config";
import { parseProjectStack, renderProjectStack, configSet } from "../offline/pulumi-cli/stack";
import { cli } from "./plan";

const ROOT = path.resolve(__dirname, "..");

interface Variant {
    name: string;
    /** The stack file the variant starts from. */
    base: string;
    /** `pulumi config set --path` commands applied to it (key without namespace -> value as the CLI takes it). */
    set?: Array<[string, string, { secret?: boolean }?]>;
}

const OIDC: Array<[string, string, { secret?: boolean }?]> = [
    ["uiOidcIssuer", "https://idp.example.com"],
    ["uiOidcAuthorizationEndpoint", "https://idp.example.com/authorize"],
    ["uiOidcTokenEndpoint", "https://idp.example.com/token"],
    ["uiOidcUserInfoEndpoint", "https://idp.example.com/userinfo"],
    ["uiOidcClientId", "metaflow-ui"],
    ["uiOidcClientSecret", "s3cr3t", { secret: true }],
];
const CERT = "arn:aws:acm:us-east-1:123456789012:certificate/0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b";

const shipped = (stack: string) => path.join(ROOT, `Pulumi.${stack}.yaml`);
const fixture = (stack: string) => path.join(ROOT, "test", "fixtures", "stacks", `Pulumi.${stack}.yaml`);

export const VARIANTS: Variant[] = [
    ...["dev", "staging", "prod"].flatMap((s) => [
        { name: `shipped-${s}`, base: shipped(s) },
        { name: `fixture-${s}`, base: fixture(s) },
    ]),
    { name: "dev-foundation", base: fixture("dev"), set: [["foundationStack", "acme/a01-foundation/dev"]] },
    { name: "dev-ui-api", base: fixture("dev"), set: [["serviceUi", "true"], ["servicePublicApi", "true"], ["accessInstance", "true"], ["egress", "nat-gateway"], ["serviceDbInstanceClass", "db.t4g.small"]] },
    {
        name: "prod-ui-api",
        base: fixture("prod"),
        set: [["serviceUi", "true"], ["servicePublicApi", "true"], ["serviceCertificateArn", CERT], ["serviceDomainName", "metaflow.example.com"], ...OIDC],
    },
    {
        name: "staging-engineers",
        base: fixture("staging"),
        set: [["engineerRoleNames[0]", "ml-engineer"], ["alarmEmail", "ml-platform@example.com"], ["officeHours", "false"]],
    },
    {
        name: "prod-triggers",
        base: fixture("prod"),
        set: [
            ["triggers[0].flow", "IngestFlow"],
            ["triggers[0].s3Prefix", "incoming/ingest/"],
            ["triggers[1].flow", "NightlyTrainFlow"],
            ["triggers[1].schedule", "cron(0 3 * * ? *)"],
        ],
    },
    { name: "dev-no-monitoring", base: fixture("dev"), set: [["monitoring", "false"]] },
];

function variantFile(v: Variant, dir: string): string {
    const stackName = path.basename(v.base).replace(/^Pulumi\.|\.yaml$/g, "");
    if (!v.set) return v.base;
    const stack = parseProjectStack(PROJECT, fs.readFileSync(v.base, "utf8"), v.base);
    for (const [key, value, opts] of v.set) configSet(stack.config, PROJECT, `${PROJECT}:${key}`, value, { path: true, secret: opts?.secret ?? false });
    const file = path.join(dir, v.name, `Pulumi.${stackName}.yaml`);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, renderProjectStack(stack.config));
    return file;
}

/** The plan JSON of one variant, as the plan command prints it (exit 1, a mandatory violation, still prints the plan). */
async function planJson(v: Variant, scratch: string): Promise<string> {
    let stdout = "";
    let stderr = "";
    const code = await cli(["--config", variantFile(v, scratch), "--json", "--show-secrets"], { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) });
    if (code !== 0 && code !== 1) throw new Error(`${v.name}: plan exited ${code}: ${stderr}`);
    return stdout;
}

async function main(out: string | undefined): Promise<number> {
    if (!out) {
        process.stderr.write("usage: npm run -s plan-snapshot -- <folder>\n");
        return 2;
    }
    fs.mkdirSync(out, { recursive: true });
    const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "mf-snapshot-"));
    try {
        for (const v of VARIANTS) {
            const json = await planJson(v, scratch);
            fs.writeFileSync(path.join(out, `${v.name}.json`), json);
            process.stdout.write(`${v.name}: ${json.length} bytes\n`);
        }
    } finally {
        fs.rmSync(scratch, { recursive: true, force: true });
    }
    return 0;
}

if (require.main === module) {
    main(process.argv[2]).then(
        (code) => (process.exitCode = code),
        (err) => {
            process.stderr.write(`${(err as Error).message}\n`);
            process.exitCode = 1;
        },
    );
}
