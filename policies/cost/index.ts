/**
 * The cost policy pack, as Pulumi runs it: `pulumi preview --policy-pack policies/cost`. Constructing the pack
 * starts CrossGuard's gRPC server, so nothing else may import this file: tests and the offline evaluation use the rule
 * modules (./rules) directly.
 */
import { PolicyPack } from "@pulumi/policy";

import { toPolicies } from "../lib/crossguard";
import { costRules as RULES } from "./rules";

new PolicyPack("metaflow-cost", {
    description: "Cost controls of the Metaflow platform: instance families, vCPU caps, scale to zero, spot-first GPU, database classes, NAT, log retention, lifecycle, tags, Fargate sizes and the monthly budget.",
    enforcementLevel: "mandatory",
    policies: toPolicies(RULES),
});
