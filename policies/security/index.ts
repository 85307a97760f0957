/**
 * The security policy pack, as Pulumi runs it: `pulumi preview --policy-pack policies/security`. Constructing the pack
 * starts CrossGuard's gRPC server, so nothing else may import this file: tests and the offline evaluation use the rule
 * modules (./rules) directly.
 */
import { PolicyPack } from "@pulumi/policy";

import { toPolicies } from "../lib/crossguard";
import { SECURITY_RULES as RULES } from "./rules/index";

new PolicyPack("metaflow-security", {
    description: "Security baseline of the Metaflow platform: S3, RDS, IAM, network, ECS/Batch, KMS, logs, secrets (Checkov-mapped rules, environment-aware).",
    enforcementLevel: "mandatory",
    policies: toPolicies(RULES),
});
