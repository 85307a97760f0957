/**
 * Container images for Metaflow's Batch steps without Docker Hub: an ECR pull-through cache of ECR Public (Docker's
 * official images are mirrored there as `docker/library/<name>`), and the platform's own repository for images the
 * team builds (e.g. with `dask` for the Dask bridge), scanned on push and trimmed by a lifecycle policy.
 *
 * Metaflow 2.19.38 picks a step's image as `@batch(image=...)`, else METAFLOW_BATCH_CONTAINER_IMAGE, else
 * `python:<client major.minor>`, and puts METAFLOW_BATCH_CONTAINER_REGISTRY in front of any image without a registry
 * (plugins/aws/batch/batch_decorator.py:148-173). The registry is the cache's `docker/library` path, so every image
 * name that would have come from Docker Hub comes from this account's ECR instead.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

/** ECR Public, the upstream of the cache: no credentials needed, no Docker Hub rate limits. */
export const ECR_PUBLIC = "public.ecr.aws";
/** Where ECR Public mirrors Docker's official images (`python`, `ubuntu`, ...). */
export const DOCKER_OFFICIAL_IMAGES = "docker/library";

/** Arguments of {@link BatchImages}. */
export interface BatchImagesArgs {
    namePrefix: string;
    region: string;
    /** The platform key: the platform's own repository is encrypted with it. */
    kmsKeyArn: pulumi.Input<string>;
    /** Images the lifecycle policies keep per repository (the newest); untagged images go after 7 days. */
    keepImages?: number;
    /** `protect`/`retainOnDelete` on the platform's own repository. */
    protect?: boolean;
}

/** The repository prefix of the cache: 2-30 lowercase characters (ECR's limit). */
export function cachePrefix(namePrefix: string): string {
    return `${namePrefix.toLowerCase()}-ecr-public`.slice(0, 30).replace(/-+$/, "");
}

export function validateBatchImagesArgs(args: BatchImagesArgs): string[] {
    const problems: string[] = [];
    if (args.keepImages !== undefined && (!Number.isInteger(args.keepImages) || args.keepImages < 1 || args.keepImages > 1000)) {
        problems.push(`keepImages: ${args.keepImages} must be an integer from 1 to 1000`);
    }
    if (!/^[a-z0-9][a-z0-9._/-]{1,29}$/.test(cachePrefix(args.namePrefix))) problems.push(`namePrefix: "${args.namePrefix}" does not make a valid ECR repository prefix`);
    return problems;
}

/** A lifecycle policy: untagged images expire after 7 days, and only the newest `keep` images stay. */
export function lifecyclePolicy(keep: number): string {
    return JSON.stringify({
        rules: [
            { rulePriority: 1, description: "untagged images after 7 days", selection: { tagStatus: "untagged", countType: "sinceImagePushed", countUnit: "days", countNumber: 7 }, action: { type: "expire" } },
            { rulePriority: 2, description: `keep the newest ${keep} images`, selection: { tagStatus: "any", countType: "imageCountMoreThan", countNumber: keep }, action: { type: "expire" } },
        ],
    });
}

export const DEFAULT_KEEP_IMAGES = 20;

/**
 * The image path of the platform: the pull-through cache rule (ECR Public), the template its repositories are created
 * from (lifecycle policy, tag mutability), and the platform's own repository `<namePrefix>/flows` (scan on push,
 * immutable tags, platform key, lifecycle policy).
 */
export class BatchImages extends pulumi.ComponentResource {
    /** `<account>.dkr.ecr.<region>.amazonaws.com`. */
    public readonly registry: pulumi.Output<string>;
    /** METAFLOW_BATCH_CONTAINER_REGISTRY: the cache's Docker official images, `<registry>/<prefix>/docker/library`. */
    public readonly defaultRegistry: pulumi.Output<string>;
    /** The platform's own repository URL, `<registry>/<namePrefix>/flows`. */
    public readonly repositoryUrl: pulumi.Output<string>;
    public readonly repositoryArn: pulumi.Output<string>;
    /** The cache's repositories (created on first pull): what pullers need `ecr:BatchImportUpstreamImage` on. */
    public readonly cacheRepositoryArns: pulumi.Output<string>;

    constructor(name: string, args: BatchImagesArgs, opts?: pulumi.ComponentResourceOptions) {
        super("metaflow:batch:BatchImages", name, {}, opts);
        const problems = validateBatchImagesArgs(args);
        if (problems.length) throw new Error(`BatchImages ${name}: ${problems.join("; ")}`);
        const account = aws.getCallerIdentityOutput({}, { parent: this }).accountId;
        const keep = args.keepImages ?? DEFAULT_KEEP_IMAGES;
        const prefix = cachePrefix(args.namePrefix);

        new aws.ecr.PullThroughCacheRule(`${name}-ecr-public`, { ecrRepositoryPrefix: prefix, upstreamRegistryUrl: ECR_PUBLIC }, { parent: this });
        new aws.ecr.RepositoryCreationTemplate(
            `${name}-cache-template`,
            {
                prefix,
                description: `Repositories of the ${ECR_PUBLIC} pull-through cache of ${args.namePrefix}`,
                appliedFors: ["PULL_THROUGH_CACHE"],
                // The cache refreshes tags from upstream, so they stay mutable; images are pinned by digest in job definitions.
                imageTagMutability: "MUTABLE",
                encryptionConfigurations: [{ encryptionType: "AES256" }],
                lifecyclePolicy: lifecyclePolicy(keep),
            },
            { parent: this },
        );

        const stateful = { parent: this, protect: args.protect, retainOnDelete: args.protect };
        const repository = new aws.ecr.Repository(
            `${name}-flows`,
            {
                name: `${args.namePrefix.toLowerCase()}/flows`,
                imageScanningConfiguration: { scanOnPush: true },
                imageTagMutability: "IMMUTABLE",
                encryptionConfigurations: [{ encryptionType: "KMS", kmsKey: args.kmsKeyArn }],
                forceDelete: false,
            },
            stateful,
        );
        new aws.ecr.LifecyclePolicy(`${name}-flows-lifecycle`, { repository: repository.name, policy: lifecyclePolicy(keep) }, { parent: this });

        this.registry = pulumi.interpolate`${account}.dkr.ecr.${args.region}.amazonaws.com`;
        this.defaultRegistry = pulumi.interpolate`${this.registry}/${prefix}/${DOCKER_OFFICIAL_IMAGES}`;
        this.repositoryUrl = pulumi.interpolate`${this.registry}/${repository.name}`;
        this.repositoryArn = repository.arn;
        this.cacheRepositoryArns = pulumi.interpolate`arn:aws:ecr:${args.region}:${account}:repository/${prefix}/*`;
        this.registerOutputs({ registry: this.registry, defaultRegistry: this.defaultRegistry, repositoryUrl: this.repositoryUrl, repositoryArn: this.repositoryArn });
    }
}
