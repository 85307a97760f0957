/** The shape of aws-facts/constraints.json (written by scripts/aws-constraints.ts). Pure types. */

/** Constraints on one input of one resource type, as the pack checks them. */
export interface FieldConstraint {
    minLength?: number;
    maxLength?: number;
    /** JavaScript regular expression source (anchored where the model means the whole value). */
    pattern?: string;
    /** A model pattern JavaScript regular expressions cannot express (`\p{Print}`, inline `(?i)`): recorded, not checked. */
    uncheckedPattern?: string;
    /** A prefix AWS refuses (load balancers: "internal-"). */
    forbiddenPrefix?: string;
    enum?: Array<string | number>;
    minimum?: number;
    maximum?: number;
    /**
     * Characters Pulumi appends when the input is left unset and Pulumi names the resource itself: 8 for auto-names
     * (`<logical name>-<7 hex>`), 26 for `namePrefix` (the provider's unique suffix).
     */
    autoNameSuffix?: number;
    /** Where the constraint comes from. */
    source: string;
}

export interface AwsConstraintData {
    "//": string;
    sources: Record<string, string>;
    fields: Record<string, Record<string, FieldConstraint>>;
    securityGroupRuleDescription: { cidr: FieldConstraint; group: FieldConstraint };
    fargate: { pairs: Record<string, number[]>; source: string };
    s3Lifecycle: { minimumDays: Record<string, number>; source: string };
    eventPattern: { maxLength: number; source: string };
    instanceTypes: { source: string; types: string[] };
    /** Instance types SageMaker Studio apps (JupyterLab, Code Editor, ...) run on: "ml.t3.medium"; the enum also lists "system". */
    sagemakerAppInstanceTypes: { source: string; types: string[] };
    batchInstanceKeywords: { keywords: string[]; source: string };
    userData: { maxBytes: number; source: string };
    rdsWindows: { minMinutes: number; source: string };
    tags: { key: FieldConstraint; value: FieldConstraint; maxTags: number; source: string };
}

