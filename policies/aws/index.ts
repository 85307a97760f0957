/**
 * The AWS constraints policy pack, as Pulumi runs it: `pulumi preview --policy-pack policies/aws`. Constructing the
 * pack starts CrossGuard's gRPC server, so nothing else may import this file: tests and the offline evaluation use the
 * rule module (./rules) directly.
 */
import { PolicyPack } from "@pulumi/policy";

import { toPolicies } from "../lib/crossguard";
import { AWS_RULES as RULES } from "./rules";

new PolicyPack("metaflow-aws-constraints", {
    description: "What AWS itself refuses, from AWS's own models (botocore, CloudFormation schemas): names and auto-names, descriptions, allowed values, ranges, storage ceiling, health checks, Fargate sizes, lifecycle days, event patterns and instance types.",
    enforcementLevel: "mandatory",
    policies: toPolicies(RULES),
});
