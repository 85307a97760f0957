/**
 * The shape of a Pulumi.yaml that the Pulumi CLI accepts, as a JSON schema (draft 2020-12), re-expressed here from the
 * CLI's own schema, pulumi/pulumi v3.259.0 `sdk/go/common/workspace/project.json`, for the parts a project like this
 * one uses: the top-level attributes, `runtime`, and the `config` block with its type declarations. The CLI validates
 * every Pulumi.yaml against its schema in `ValidateProject` (project.go:569) before anything else runs.
 *
 * `test/cli/project-schema.test.ts` validates the same fixtures against the CLI's original schema when a checkout of
 * pulumi/pulumi is at hand (PULUMI_SOURCE), so a drift between the two is caught.
 *
 * Pure module: data only.
 */

const nullableString = { type: ["string", "null"] };

/** `$defs.simpleConfigType` (project.json): the types a config key may declare. */
export const CONFIG_TYPES = ["string", "integer", "boolean", "array", "object"] as const;

export const PROJECT_SCHEMA = {
    $schema: "https://json-schema.org/draft/2020-12/schema",
    type: "object",
    required: ["name"],
    // project.json allows attributes it does not list (e.g. requiredPulumiVersion, read by project.go:369).
    additionalProperties: true,
    properties: {
        name: { type: "string", minLength: 1 },
        description: nullableString,
        author: nullableString,
        website: nullableString,
        license: nullableString,
        main: nullableString,
        stackConfigDir: nullableString,
        runtime: {
            oneOf: [
                { type: "string", minLength: 1 },
                {
                    type: "object",
                    properties: { name: { type: "string", minLength: 1 }, options: { type: "object", additionalProperties: true } },
                    additionalProperties: false,
                },
            ],
        },
        config: {
            type: ["object", "string", "null"],
            properties: { secret: { type: "boolean" } },
            additionalProperties: {
                oneOf: [{ type: "string" }, { type: "integer" }, { type: "boolean" }, { type: "array" }, { $ref: "#/$defs/configTypeDeclaration" }],
            },
        },
        backend: { type: ["object", "null"], properties: { url: { type: "string" } }, additionalProperties: false },
        options: { type: ["object", "null"], properties: { refresh: { type: "string", const: "always" } }, additionalProperties: false },
        template: { type: ["object", "null"] },
        packages: { type: "object" },
        plugins: { type: "object" },
    },
    $defs: {
        simpleConfigType: { enum: [...CONFIG_TYPES] },
        configItemsType: {
            type: "object",
            required: ["type"],
            properties: {
                type: { oneOf: [{ $ref: "#/$defs/simpleConfigType" }, { $ref: "#/$defs/configItemsType" }] },
                items: { $ref: "#/$defs/configItemsType" },
            },
            if: { properties: { type: { const: "array" } } },
            then: { required: ["items"] },
        },
        configTypeDeclaration: {
            type: "object",
            additionalProperties: false,
            properties: {
                type: { $ref: "#/$defs/simpleConfigType" },
                items: { $ref: "#/$defs/configItemsType" },
                description: { type: "string" },
                secret: { type: "boolean" },
                default: {},
                value: {},
            },
        },
    },
} as const;
