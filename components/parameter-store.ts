/**
 * The stack's Parameter Store hierarchy, `/<namePrefix>/...`:
 *
 * | path | type | written by | read by |
 * | --- | --- | --- | --- |
 * | `metaflow/profile` | SecureString (platform key) | this component: the `metaflowConfig` output as JSON | engineers, the CI deploy role |
 * | `settings/<name>` | String | this component: data root, queues, model-monitoring namespace and thresholds | engineers, Metaflow tasks, the deploy role |
 * | `params/<Flow>/<name>` | String (JSON values) | engineers (hyperparameters) | Metaflow tasks, engineers, the deploy role |
 * | `dask/...` | String | the Dask bridge | engineers, Metaflow tasks |
 *
 * The profile is the one bootstrap an engineer needs:
 * `aws ssm get-parameter --name /<namePrefix>/metaflow/profile --with-decryption --query Parameter.Value --output text`.
 * Standard-tier parameters (free, at most 4 KB each).
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

/** What the hierarchy holds, under `/<namePrefix>`. */
export const PARAMETER_PATHS = {
    profile: "metaflow/profile",
    settings: "settings",
    params: "params",
    dask: "dask",
} as const;

/** Standard parameters hold at most 4096 characters. */
export const STANDARD_PARAMETER_MAX = 4096;

/** A setting's name: the last part of `/<namePrefix>/settings/<name>`. */
export const SETTING_NAME = /^[a-z][a-z0-9-]{0,62}$/;

/** The full name of a parameter of the hierarchy: `parameterName("mf-prod", "metaflow/profile")`. */
export function parameterName(namePrefix: string, path: string): string {
    return `/${namePrefix}/${path}`;
}

/** Resource patterns of each part of the hierarchy, as IAM names them (`parameter/<namePrefix>/settings/*`). */
export function parameterResources(namePrefix: string): Record<keyof typeof PARAMETER_PATHS, string> {
    return {
        profile: `parameter/${namePrefix}/${PARAMETER_PATHS.profile}`,
        settings: `parameter/${namePrefix}/${PARAMETER_PATHS.settings}/*`,
        params: `parameter/${namePrefix}/${PARAMETER_PATHS.params}/*`,
        dask: `parameter/${namePrefix}/${PARAMETER_PATHS.dask}/*`,
    };
}

/** Arguments of {@link PlatformParameters}. */
export interface PlatformParametersArgs {
    /** The hierarchy's root: `/<namePrefix>/`. The same prefix the job role and engineer policy are scoped to. */
    namePrefix: string;
    /** The platform key: encrypts the profile (engineers and the deploy role decrypt it through SSM). */
    kmsKeyArn: pulumi.Input<string>;
    /** The Metaflow profile (`metaflowConfig`), stored as JSON text in a SecureString: it may hold the API key. */
    profile: pulumi.Input<Record<string, pulumi.Input<string>>>;
    /** Settings flows may read, by name (`data-root`, `gpu-queue`, ...): plain Strings under `settings/`. */
    settings: Record<string, pulumi.Input<string>>;
}

export function validatePlatformParametersArgs(args: PlatformParametersArgs): string[] {
    const problems: string[] = [];
    if (!/^[a-z][a-z0-9-]{1,30}$/.test(args.namePrefix)) problems.push(`namePrefix ${JSON.stringify(args.namePrefix)} must be 2-31 lowercase letters, digits or hyphens`);
    for (const [name, value] of Object.entries(args.settings)) {
        if (!SETTING_NAME.test(name)) problems.push(`settings: name ${JSON.stringify(name)} must be 1-63 lowercase letters, digits or hyphens, starting with a letter`);
        if (typeof value === "string" && (value.length === 0 || value.length > STANDARD_PARAMETER_MAX)) {
            problems.push(`settings.${name}: value of ${value.length} characters; Parameter Store holds 1-${STANDARD_PARAMETER_MAX} in a standard parameter`);
        }
    }
    return problems;
}

/** The profile as the parameter stores it: sorted keys, so an unchanged profile is an unchanged parameter. */
export function profileText(profile: Record<string, string>): string {
    const text = JSON.stringify(Object.fromEntries(Object.entries(profile).sort(([a], [b]) => a.localeCompare(b))), null, 2);
    if (text.length > STANDARD_PARAMETER_MAX) throw new Error(`the Metaflow profile has ${text.length} characters; a standard parameter holds ${STANDARD_PARAMETER_MAX}`);
    return text;
}

/**
 * The platform's parameters: the Metaflow profile (SecureString under the platform key) and the settings flows read.
 * `params/<Flow>/...` belongs to engineers and is not managed here; the IAM of each part is in the job role, the
 * engineer policy and the CI deploy role, built from {@link parameterResources}.
 */
export class PlatformParameters extends pulumi.ComponentResource {
    /** `/<namePrefix>/metaflow/profile`. */
    public readonly profileParameterName: pulumi.Output<string>;
    public readonly profileParameterArn: pulumi.Output<string>;
    /** `/<namePrefix>/settings`: the path flows read with GetParametersByPath. */
    public readonly settingsPath: string;
    /** `/<namePrefix>/params`: where engineers keep hyperparameters, one path per flow. */
    public readonly paramsPath: string;

    constructor(name: string, args: PlatformParametersArgs, opts?: pulumi.ComponentResourceOptions) {
        super("metaflow:config:PlatformParameters", name, {}, opts);
        const problems = validatePlatformParametersArgs(args);
        if (problems.length) throw new Error(`PlatformParameters ${name}: ${problems.join("; ")}`);
        const p = args.namePrefix;

        const profile = new aws.ssm.Parameter(
            `${name}-profile`,
            {
                name: parameterName(p, PARAMETER_PATHS.profile),
                type: "SecureString",
                keyId: args.kmsKeyArn,
                tier: "Standard",
                // Secret in state and outputs: the profile may carry the public API's key.
                value: pulumi.secret(pulumi.output(args.profile).apply((v) => profileText(v as Record<string, string>))),
                description: `Metaflow profile of ${p}: aws ssm get-parameter --with-decryption > ~/.metaflowconfig/config_<stack>.json`,
            },
            { parent: this },
        );
        for (const [setting, value] of Object.entries(args.settings)) {
            new aws.ssm.Parameter(
                `${name}-setting-${setting}`,
                { name: parameterName(p, `${PARAMETER_PATHS.settings}/${setting}`), type: "String", tier: "Standard", insecureValue: value, description: `Platform setting ${setting} of ${p}, for flows` },
                { parent: this },
            );
        }

        this.profileParameterName = profile.name;
        this.profileParameterArn = profile.arn;
        this.settingsPath = parameterName(p, PARAMETER_PATHS.settings);
        this.paramsPath = parameterName(p, PARAMETER_PATHS.params);
        this.registerOutputs({ profileParameterName: this.profileParameterName, profileParameterArn: this.profileParameterArn, settingsPath: this.settingsPath, paramsPath: this.paramsPath });
    }
}
