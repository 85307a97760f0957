import { KeySpecs } from "../spec";

/** The Metaflow datastore bucket's lifecycle and logging. */
export const artifactKeys = {
    artifactNoncurrentVersionDays: {
        type: "integer",
        min: 1,
        max: 3650,
        default: { dev: 7, staging: 30, prod: 90 },
        description: "Days a replaced or deleted artifact version is kept before it expires.",
    },
    artifactInfrequentAccessDays: {
        type: "integer",
        min: 30,
        max: 3650,
        default: { dev: 30, staging: 60, prod: 90 },
        description: "Days after which artifacts move to S3 Standard-IA (S3 requires at least 30); objects under 128 KiB stay in Standard, where they cost less.",
    },
    artifactGlacierDays: {
        type: "integer",
        min: 60,
        max: 3650,
        default: { dev: 90, staging: 180, prod: 365 },
        description: "Days after which artifacts move to S3 Glacier Instant Retrieval (at least 30 after Standard-IA).",
    },
    artifactExpirationDays: {
        type: "integer",
        min: 1,
        max: 36500,
        description: "Days after which artifacts are deleted; unset keeps them. Read docs/operations.md first: the datastore deduplicates, so age-based expiry can remove blobs that recent runs still reference.",
    },
    artifactAccessLogging: {
        type: "boolean",
        default: { dev: false, staging: false, prod: true },
        description: "Write S3 server access logs of the datastore bucket to a dedicated log bucket.",
    },
    artifactEventBridge: {
        type: "boolean",
        default: true,
        description: "Send the datastore bucket's object events to EventBridge (needed by S3-prefix pipeline triggers).",
    },
} satisfies KeySpecs;
