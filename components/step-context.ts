/** The context a component's named steps share (see components/metaflow-service/database.ts for the pattern). */
import type * as pulumi from "@pulumi/pulumi";

/**
 * What every step of a component shares: its logical name and arguments, the parent of its children, the account, and
 * ARNs in the stack's region and account. A component's own context extends it with what only its steps need.
 */
export interface StepContext<Args> {
    name: string;
    args: Args;
    parent: pulumi.Resource;
    account: pulumi.Output<string>;
    /** ARNs in the stack's region and account. */
    arn: (service: string, resource: string) => pulumi.Output<string>;
}
