/**
 * The engineers' Studio workspaces in the composition: the component's arguments from the configuration, the network
 * and the other sections; the templates it copies into each workspace; the network rule a VPC-only domain needs.
 */
import * as fs from "fs";
import * as path from "path";

import * as pulumi from "@pulumi/pulumi";

import { MetaflowService } from "../components/metaflow-service";
import { parameterName, PARAMETER_PATHS } from "../components/parameter-store";
import { Workspaces } from "../components/workspaces";
import { ConfigProblem, PlatformConfig, studioLimits } from "./config";
import { References } from "./references";

/** Where the templates are: the repository's templates/ (the program runs from the project directory). */
const TEMPLATES_DIR = path.join(__dirname, "..", "templates");

/** The templates engineers start from: the flows and their README (typings, CI and local settings stay in the repository). */
export function templateFiles(dir = TEMPLATES_DIR): Record<string, string> {
    const files = fs.readdirSync(dir).filter((f) => f.endsWith(".py") || f === "README.md").sort();
    return Object.fromEntries(files.map((f) => [f, fs.readFileSync(path.join(dir, f), "utf8")]));
}

/**
 * A VPC-only domain reaches SageMaker, STS and the package index through NAT or interface endpoints (AWS,
 * docs.aws.amazon.com/sagemaker/latest/dg/studio-updated-and-internet-access.html). `egress: network` needs the VPC's
 * NAT: the standalone network always has one; a foundation without (`privateEgress: none`) needs `egress: endpoints`.
 */
export function workspaceNetworkProblems(config: PlatformConfig, references: References): ConfigProblem[] {
    const w = config.workspaces;
    const f = references.foundation;
    if (!w || w.egress !== "network" || !f || f.privateEgress !== "none") return [];
    return [
        {
            key: `${config.project}:workspaces.egress`,
            given: '"network" (the default)',
            allowed: `the foundation stack ${config.references.foundation} exports privateEgress "none": its private subnets have no NAT, and a VPC-only Studio domain cannot reach SageMaker without NAT or interface endpoints; set workspaces.egress to endpoints (with workspaces.pipIndexUrl)`,
        },
    ];
}

/** What the workspaces build on: the network, the platform key and bucket, the engineer policy. */
export interface WorkspaceInputs {
    vpcId: pulumi.Input<string>;
    privateSubnetIds: pulumi.Input<string[]>;
    kmsKeyArn: pulumi.Input<string>;
    bucketName: pulumi.Input<string>;
    engineerPolicyArns: Record<string, pulumi.Input<string>>;
}

/** The Studio domain and the engineers' profiles, when `workspaces` is configured. */
export function buildWorkspaces(config: PlatformConfig, inputs: WorkspaceInputs, opts: pulumi.ComponentResourceOptions): Workspaces | undefined {
    if (!config.workspaces) return undefined;
    const p = config.namePrefix;
    return new Workspaces(
        `${p}-workspaces`,
        {
            namePrefix: p,
            region: config.region,
            stack: config.stack,
            settings: config.workspaces,
            allowedInstanceTypes: studioLimits(config.environment, config.costPolicy).allowedStudioInstanceTypes,
            ...inputs,
            profileParameterName: parameterName(p, PARAMETER_PATHS.profile),
            templates: templateFiles(),
            engineerRoleNames: config.engineerRoleNames,
            protect: config.protect,
        },
        opts,
    );
}

/** Opens the workspaces' way to the metadata service's load balancer (which admits them in turn). */
export function letWorkspacesReachMetadata(workspaces: Workspaces | undefined, metadata: MetaflowService, port: number): void {
    workspaces?.allowEgress("metadata", { port, securityGroupId: metadata.loadBalancerSecurityGroupId, description: "Metaflow metadata service (internal load balancer)" });
}
