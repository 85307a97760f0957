/**
 * The datastore bucket's rules as pure functions, shared by the stack configuration, the component and the policies.
 */

/** Lifecycle of the datastore's objects, in days after creation (or after becoming noncurrent). */
export interface ArtifactLifecycle {
    /** Days a replaced or deleted version is kept. */
    noncurrentVersionDays: number;
    /** Days until objects move to S3 Standard-IA (S3 minimum: 30). */
    infrequentAccessDays: number;
    /** Days until objects move to S3 Glacier Instant Retrieval (at least 30 after Standard-IA). */
    glacierDays: number;
    /**
     * Days until objects are deleted; omit to keep them. Metaflow's datastore is content-addressed: a new run reuses
     * an identical older blob instead of writing it again, so expiring by age can delete data that recent runs use.
     */
    expirationDays?: number;
}

/** The rule for lifecycle days, shared by the stack configuration and the component. */
export function lifecycleProblems(l: ArtifactLifecycle): Array<{ fields: Array<keyof ArtifactLifecycle>; message: string }> {
    const problems: Array<{ fields: Array<keyof ArtifactLifecycle>; message: string }> = [];
    const positive = (field: keyof ArtifactLifecycle, min: number) => {
        const v = l[field];
        if (v !== undefined && (!Number.isInteger(v) || v < min)) problems.push({ fields: [field], message: `${field} ${v} must be an integer of at least ${min}` });
    };
    positive("noncurrentVersionDays", 1);
    positive("infrequentAccessDays", 30);
    positive("glacierDays", 60);
    positive("expirationDays", 1);
    if (l.glacierDays - l.infrequentAccessDays < 30) {
        problems.push({ fields: ["infrequentAccessDays", "glacierDays"], message: `glacierDays (${l.glacierDays}) must be at least 30 more than infrequentAccessDays (${l.infrequentAccessDays}): S3 keeps objects 30 days in Standard-IA before the next transition` });
    }
    if (l.expirationDays !== undefined && l.expirationDays <= l.glacierDays) {
        problems.push({ fields: ["glacierDays", "expirationDays"], message: `expirationDays (${l.expirationDays}) must be more than glacierDays (${l.glacierDays}): S3 rejects an expiration before a transition` });
    }
    return problems;
}
