/**
 * The hand-off to ML engineers: the Metaflow client configuration (`~/.metaflowconfig/config.json` keys) assembled
 * from the components' outputs. Each section of the platform contributes its part; keys without a value are left
 * out rather than filled with placeholders.
 */
import * as pulumi from "@pulumi/pulumi";

/** Parts of the Metaflow configuration, by `METAFLOW_<NAME>` key (without the prefix). */
export interface MetaflowConfigParts {
    DATASTORE_SYSROOT_S3: pulumi.Input<string>;
    DATATOOLS_S3ROOT: pulumi.Input<string>;
    SERVICE_URL?: pulumi.Input<string>;
    SERVICE_INTERNAL_URL?: pulumi.Input<string>;
    // No SERVICE_AUTH_KEY: Metaflow forwards it to every task and state machine (see stacks/platform.ts).
    BATCH_JOB_QUEUE?: pulumi.Input<string>;
    ECS_S3_ACCESS_IAM_ROLE?: pulumi.Input<string>;
    ECS_FARGATE_EXECUTION_ROLE?: pulumi.Input<string>;
    BATCH_CONTAINER_IMAGE?: pulumi.Input<string>;
    BATCH_CONTAINER_REGISTRY?: pulumi.Input<string>;
    SFN_IAM_ROLE?: pulumi.Input<string>;
    EVENTS_SFN_ACCESS_IAM_ROLE?: pulumi.Input<string>;
    SFN_DYNAMO_DB_TABLE?: pulumi.Input<string>;
    SFN_STATE_MACHINE_PREFIX?: pulumi.Input<string>;
    SFN_EXECUTION_LOG_GROUP_ARN?: pulumi.Input<string>;
    /** Where distributed maps write results: the prefix the Step Functions role may write (pinned, not derived). */
    SFN_S3_DISTRIBUTED_MAP_OUTPUT_PATH?: pulumi.Input<string>;
    /** `aws-secrets-manager`: `@secrets(sources=["<namePrefix>/<name>"])` reads the stack's secrets namespace. */
    DEFAULT_SECRETS_BACKEND_TYPE?: pulumi.Input<string>;
    AWS_SECRETS_MANAGER_DEFAULT_REGION?: pulumi.Input<string>;
    /** `true`: Metaflow tags its Batch jobs with flow, step, run and user (plugins/aws/batch/batch.py:381-407). */
    BATCH_EMIT_TAGS?: pulumi.Input<string>;
    /** The Metaflow UI, when it is on: Metaflow prints `<UI_URL>/<Flow>/<run>` for every run it starts. */
    UI_URL?: pulumi.Input<string>;
}

/** `{"METAFLOW_DEFAULT_DATASTORE": "s3", ...}`: secret as a whole when any part is secret. */
export function metaflowConfig(parts: MetaflowConfigParts): pulumi.Output<Record<string, string>> {
    const fixed: Record<string, string> = { METAFLOW_DEFAULT_DATASTORE: "s3" };
    if (parts.SERVICE_URL !== undefined || parts.SERVICE_INTERNAL_URL !== undefined) fixed.METAFLOW_DEFAULT_METADATA = "service";
    const entries = Object.entries(parts).filter(([, v]) => v !== undefined) as Array<[string, pulumi.Input<string>]>;
    return pulumi.all(entries.map(([, v]) => v)).apply((values) => {
        const result: Record<string, string> = { ...fixed };
        entries.forEach(([k], i) => {
            result[`METAFLOW_${k}`] = values[i];
        });
        return result;
    });
}
