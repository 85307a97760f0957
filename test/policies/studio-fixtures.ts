/**
 * A Studio workspaces plan as the Workspaces component plans it (docs/design/workspaces-and-serving.md §2.1), as plain
 * resource views: the platform key, the lifecycle configuration, the domain and one user profile per engineer. Each
 * piece takes overrides, deep-merged (`undefined` removes a field), so a test changes exactly one input.
 */
import { T } from "../../policies/lib/types";
import { ResourceView } from "../../policies/lib/view";
import { res } from "./fixtures";

export const KEY_ARN = "arn:aws:kms:us-east-1:123456789012:key/0a1b2c3d-platform";
export const ROLE_ARN = "arn:aws:iam::123456789012:role/mf-dev-workspaces";
export const LCC_ARN = "arn:aws:sagemaker:us-east-1:123456789012:studio-lifecycle-config/mf-dev-metaflow";
export const DOMAIN_ID = "d-abc123def456";

/** `base` with `over` merged in: objects field by field, anything else replaced, `undefined` removing the field. */
export function merge(base: any, over: any): any {
    if (over === undefined) return base;
    if (over === null || typeof over !== "object" || Array.isArray(over) || base === null || typeof base !== "object" || Array.isArray(base)) return over;
    const out: Record<string, any> = { ...base };
    for (const [k, v] of Object.entries(over)) {
        if (v === undefined) delete out[k];
        else out[k] = merge(base[k], v);
    }
    return out;
}

export const platformKey = (props: Record<string, any> = {}) => res(T.kmsKey, "platform-key", merge({ enableKeyRotation: true }, props), { outputs: { id: "0a1b2c3d-platform", keyId: "0a1b2c3d-platform", arn: KEY_ARN } });

export const lcc = (props: Record<string, any> = {}) =>
    res(T.sagemakerLcc, "workspaces-lcc", merge({ studioLifecycleConfigName: "mf-dev-metaflow", studioLifecycleConfigAppType: "JupyterLab", studioLifecycleConfigContent: Buffer.from("#!/bin/bash\nset -euo pipefail\n").toString("base64") }, props), {
        outputs: { id: "mf-dev-metaflow", arn: LCC_ARN },
    });

export const DOMAIN_PROPS = {
    domainName: "mf-dev-workspaces",
    authMode: "IAM",
    appNetworkAccessType: "VpcOnly",
    vpcId: "vpc-0123",
    subnetIds: ["subnet-a", "subnet-b"],
    kmsKeyId: KEY_ARN,
    domainSettings: { executionRoleIdentityConfig: "USER_PROFILE_NAME", dockerSettings: { enableDockerAccess: "DISABLED" } },
    defaultUserSettings: {
        executionRole: ROLE_ARN,
        securityGroups: ["sg-0workspaces"],
        jupyterLabAppSettings: {
            defaultResourceSpec: { instanceType: "ml.t3.medium" },
            builtInLifecycleConfigArn: LCC_ARN,
            lifecycleConfigArns: [LCC_ARN],
            appLifecycleManagement: { idleSettings: { lifecycleManagement: "ENABLED", idleTimeoutInMinutes: 60, minIdleTimeoutInMinutes: 60, maxIdleTimeoutInMinutes: 120 } },
        },
        spaceStorageSettings: { defaultEbsStorageSettings: { defaultEbsVolumeSizeInGb: 5, maximumEbsVolumeSizeInGb: 20 } },
        studioWebPortalSettings: { hiddenAppTypes: ["CodeEditor", "RStudioServerPro", "Canvas"] },
    },
    retentionPolicy: { homeEfsFileSystem: "Delete" },
};

export const domain = (props: Record<string, any> = {}) => res(T.sagemakerDomain, "workspaces-domain", merge(DOMAIN_PROPS, props), { outputs: { id: DOMAIN_ID, arn: `arn:aws:sagemaker:us-east-1:123456789012:domain/${DOMAIN_ID}` } });

/** An engineer's profile: no userSettings of its own (the domain's apply), tagged with the engineer's id. */
export const profile = (name: string, props: Record<string, any> = {}) =>
    res(T.sagemakerUserProfile, `workspaces-profile-${name}`, merge({ domainId: DOMAIN_ID, userProfileName: name, tags: { studiouserid: `${name}@example.com` } }, props), {
        outputs: { id: `${DOMAIN_ID}/${name}`, arn: `arn:aws:sagemaker:us-east-1:123456789012:user-profile/${DOMAIN_ID}/${name}` },
    });

/** The compliant plan: key, lifecycle configuration, domain, three engineers (dev's example). */
export function studioPlan(o: { domain?: Record<string, any>; lcc?: Record<string, any>; key?: Record<string, any>; profiles?: ResourceView[] } = {}): ResourceView[] {
    return [platformKey(o.key), lcc(o.lcc), domain(o.domain), ...(o.profiles ?? ["jane", "omar", "li"].map((n) => profile(n)))];
}
