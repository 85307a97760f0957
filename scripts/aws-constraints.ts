/**
 * Extracts the AWS constraints the `metaflow-aws-constraints` policy pack checks from AWS's own machine-readable
 * models, into the checked-in data file `aws-facts/constraints.json`:
 *
 *   - botocore's service models (`botocore/data/<service>/<version>/service-2.json.gz`, the newest version of each
 *     service): shape min/max/pattern/enum, the EC2 `InstanceType` enum, and constraints AWS states only in a
 *     member's documentation string (each such fact is checked against the sentence that states it: when the
 *     sentence changes, extraction fails and a person reads it again);
 *   - the CloudFormation resource schemas shipped in cfn-lint (`cfnlint/data/schemas`, us-east-1 provider schemas
 *     with cfn-lint's patches applied): property patterns, lengths, enums and ranges.
 *
 *   npm run -s aws-constraints            # prints the data file
 *   npm run -s aws-constraints -- --write # regenerates aws-facts/constraints.json
 *
 * The pack reads only the data file, so it needs no Python at run time; `test/policies/aws-constraints.test.ts`
 * checks the data file is what this script produces when Python with botocore and cfn-lint is available.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import * as zlib from "zlib";

import type { AwsConstraintData, FieldConstraint } from "../aws-facts/constraint-types";

export const DATA_FILE = path.resolve(__dirname, "../aws-facts/constraints.json");

export interface SourceDirs {
    botocore: string;
    botocoreVersion: string;
    cfnlint: string;
    cfnlintVersion: string;
    python: string;
}

/**
 * Where the Python that ships here keeps botocore and cfn-lint; undefined (with the reason) when it cannot be found.
 * cfn-lint's folder is located without importing the package (its import alone takes about 0.8 s; only its data files
 * are read); a missing cfn-lint still fails here, as `find_spec` returns None and the script raises.
 */
export function findSources(python = process.env.PYTHON ?? "python3"): SourceDirs | string {
    const code =
        "import json, os, sys, botocore; from importlib.metadata import version; from importlib.util import find_spec\n" +
        "cfnlint = find_spec('cfnlint')\n" +
        "if cfnlint is None: raise ModuleNotFoundError(\"No module named 'cfnlint'\")\n" +
        "print(json.dumps({'botocore': os.path.dirname(botocore.__file__), 'botocoreVersion': botocore.__version__, " +
        "'cfnlint': list(cfnlint.submodule_search_locations)[0], 'cfnlintVersion': version('cfn-lint'), 'python': sys.version.split()[0]}))";
    const r = spawnSync(python, ["-c", code], { encoding: "utf8" });
    if (r.error) return `${python} is not available (${r.error.message})`;
    if (r.status !== 0) return `${python} has no botocore or cfn-lint: ${r.stderr.trim().split("\n").pop()}`;
    return JSON.parse(r.stdout) as SourceDirs;
}

// ---------------------------------------------------------------------------------------------------------------
// Reading the models

class Models {
    private cache = new Map<string, any>();
    private cfnTypes: Record<string, string>;
    constructor(private dirs: SourceDirs) {
        const providers = fs.readFileSync(path.join(dirs.cfnlint, "data/schemas/providers/us_east_1.py"), "utf8");
        this.cfnTypes = Object.fromEntries([...providers.matchAll(/"(AWS::[^"]+)": "([0-9a-f]+)"/g)].map((m) => [m[1], m[2]]));
    }

    /** The newest model version of a botocore service. */
    service(name: string): { model: any; version: string } {
        const hit = this.cache.get(`svc:${name}`);
        if (hit) return hit;
        const dir = path.join(this.dirs.botocore, "data", name);
        const version = fs
            .readdirSync(dir)
            .filter((v) => fs.existsSync(path.join(dir, v, "service-2.json.gz")))
            .sort()
            .pop();
        if (!version) throw new Error(`botocore has no service model for ${name}`);
        const model = JSON.parse(zlib.gunzipSync(fs.readFileSync(path.join(dir, version, "service-2.json.gz"))).toString("utf8"));
        const out = { model, version };
        this.cache.set(`svc:${name}`, out);
        return out;
    }

    /** The botocore services read so far, with their model versions, sorted by name. */
    services(): Array<[string, string]> {
        return [...this.cache.entries()]
            .filter(([k]) => k.startsWith("svc:"))
            .map(([k, v]) => [k.slice(4), v.version] as [string, string])
            .sort(([a], [b]) => a.localeCompare(b));
    }

    shape(service: string, shape: string): any {
        const s = this.service(service).model.shapes[shape];
        if (!s) throw new Error(`botocore ${service} has no shape ${shape}`);
        return s;
    }

    /** A structure member: its target shape and its documentation as plain text. */
    member(service: string, structure: string, member: string): { shape: any; shapeName: string; doc: string } {
        const m = this.shape(service, structure).members?.[member];
        if (!m) throw new Error(`botocore ${service} ${structure} has no member ${member}`);
        return { shape: this.shape(service, m.shape), shapeName: m.shape, doc: plain(m.documentation ?? "") };
    }

    /**
     * A property of a CloudFormation resource schema (cfn-lint's copy, patches applied): `Name`, or a nested path
     * `A.B[].C` through `$ref` definitions (`[]` steps into a list's items).
     */
    cfnProperty(type: string, propPath: string): any {
        const key = `cfn:${type}`;
        let schema = this.cache.get(key);
        if (!schema) {
            const hash = this.cfnTypes[type];
            if (!hash) throw new Error(`cfn-lint has no schema for ${type}`);
            schema = JSON.parse(fs.readFileSync(path.join(this.dirs.cfnlint, "data/schemas/resources", `${hash}.json`), "utf8"));
            this.cache.set(key, schema);
        }
        const resolve = (node: any) => {
            while (node?.$ref) node = schema.definitions?.[String(node.$ref).split("/").pop()!];
            return node;
        };
        let node = schema;
        for (const step of propPath.split(".")) {
            const list = step.endsWith("[]");
            node = resolve(resolve(node)?.properties?.[list ? step.slice(0, -2) : step]);
            if (list) node = resolve(node?.items);
            if (!node) throw new Error(`cfn-lint's ${type} schema has no property ${propPath}`);
        }
        return node;
    }
}

/** Documentation HTML as one line of text. */
function plain(html: string): string {
    return html
        .replace(/<[^>]+>/g, " ")
        .replace(/&amp;/g, "&")
        .replace(/&lt;/g, "<")
        .replace(/&gt;/g, ">")
        .replace(/&quot;/g, '"')
        .replace(/\s+/g, " ")
        .trim();
}

/**
 * A model's regular expression as a JavaScript one, or undefined when JavaScript cannot express it. CloudFormation
 * schema patterns are JSON Schema patterns, which match anywhere in the value (cfn-lint reads them so: `^[^:]` only
 * constrains the first character): they are kept as written. botocore's patterns are validated by the services
 * against the whole value (the API references print them so), so they are anchored.
 */
function jsPattern(pattern: string, anchor: boolean): string | undefined {
    let out = pattern.replace(/\\Z/g, "$");
    if (anchor) out = `^(?:${out.replace(/^\^/, "").replace(/\$$/, "")})$`;
    try {
        new RegExp(out, "u");
        return out;
    } catch {
        return undefined;
    }
}

/** A member's documentation, after checking it still says each of `says` (else extraction fails: read it again). */
function documented(models: Models, service: string, structure: string, member: string, says: string[]): string {
    const { doc } = models.member(service, structure, member);
    for (const x of says) {
        if (!doc.includes(x)) throw new Error(`botocore ${service} ${structure}.${member}: the documentation no longer says "${x}"; read it again: ${doc}`);
    }
    return `botocore ${service} ${structure}.${member} documentation: "${says.join(" ... ")}"`;
}

/** The pattern to check, or, when JavaScript cannot express it, the model's pattern recorded as not checked. */
function patternOf(pattern: string, anchor: boolean): Pick<FieldConstraint, "pattern" | "uncheckedPattern"> {
    const js = jsPattern(pattern, anchor);
    return js !== undefined ? { pattern: js } : { uncheckedPattern: pattern };
}

type Source =
    | { cfn: string; prop: string }
    | { botocore: string; shape: string }
    | { botocore: string; structure: string; member: string }
    /** A fact AWS states in a member's documentation: `says` must appear in it verbatim. */
    | { botocore: string; structure: string; member: string; says: string[]; gives: Omit<FieldConstraint, "source" | "autoNameSuffix"> };

function constraintOf(models: Models, src: Source): FieldConstraint {
    if ("cfn" in src) {
        const p = models.cfnProperty(src.cfn, src.prop);
        const c: FieldConstraint = { source: `cfn-lint schema ${src.cfn}.${src.prop}` };
        if (p.minLength !== undefined) c.minLength = p.minLength;
        if (p.maxLength !== undefined) c.maxLength = p.maxLength;
        if (p.pattern !== undefined) Object.assign(c, patternOf(p.pattern, false));
        if (p.enum !== undefined) c.enum = p.enum;
        if (p.minimum !== undefined) c.minimum = p.minimum;
        if (p.maximum !== undefined) c.maximum = p.maximum;
        return prune(c);
    }
    if ("says" in src) return { ...src.gives, source: documented(models, src.botocore, src.structure, src.member, src.says) };
    const [shape, where] =
        "shape" in src ? [models.shape(src.botocore, src.shape), `${src.shape}`] : [models.member(src.botocore, src.structure, src.member).shape, `${src.structure}.${src.member}`];
    const c: FieldConstraint = { source: `botocore ${src.botocore} ${where}` };
    if (shape.type === "string") {
        if (shape.min !== undefined) c.minLength = shape.min;
        if (shape.max !== undefined) c.maxLength = shape.max;
        if (shape.pattern !== undefined) Object.assign(c, patternOf(shape.pattern, true));
        if (shape.enum !== undefined) c.enum = shape.enum;
    } else {
        if (shape.min !== undefined) c.minimum = shape.min;
        if (shape.max !== undefined) c.maximum = shape.max;
    }
    return prune(c);
}

function prune(c: FieldConstraint): FieldConstraint {
    return Object.fromEntries(Object.entries(c).filter(([, v]) => v !== undefined)) as FieldConstraint;
}

// ---------------------------------------------------------------------------------------------------------------
// What the platform sets, and where AWS constrains it

const AUTO = 8;
const PREFIX = 26;
const ELB_NAME = "^[A-Za-z0-9](?:[A-Za-z0-9-]{0,30}[A-Za-z0-9])?$";

/** IP protocols a security group rule takes (the EC2 model's documentation of IpPermission.IpProtocol). */
const IP_PROTOCOL: Source = {
    botocore: "ec2",
    structure: "IpPermission",
    member: "IpProtocol",
    says: ["The IP protocol name ( tcp , udp , icmp , icmpv6 ) or number", "Use -1 to specify all protocols."],
    gives: { pattern: "^(tcp|udp|icmp|icmpv6|-1|[0-9]|[1-9][0-9]|1[0-9][0-9]|2[0-4][0-9]|25[0-5])$" },
};

/**
 * A member of a SageMaker API structure. botocore rather than cfn-lint for every SageMaker fact: its name patterns are
 * anchored (the CloudFormation Domain and StudioLifecycleConfig name patterns are not: they match anywhere), and it
 * states the serverless ranges the EndpointConfig schema leaves out.
 */
const sagemaker = (structure: string, member: string): Source => ({ botocore: "sagemaker", structure, member });

/**
 * JupyterLab's idle shutdown, which a domain's default user settings and a user profile's settings hold in the same
 * shape (`<at>.jupyterLabAppSettings.appLifecycleManagement.idleSettings`, botocore `IdleSettings`).
 */
function idleSettings(at: string): Record<string, { from: Source }> {
    const members = ["LifecycleManagement", "IdleTimeoutInMinutes", "MinIdleTimeoutInMinutes", "MaxIdleTimeoutInMinutes"];
    return Object.fromEntries(members.map((m) => [`${at}.jupyterLabAppSettings.appLifecycleManagement.idleSettings.${m[0].toLowerCase()}${m.slice(1)}`, { from: sagemaker("IdleSettings", m) }]));
}

/** A space's EBS volume, default and ceiling, in the same two places (botocore `DefaultEbsStorageSettings`, 5-16384 GB). */
function spaceStorage(at: string): Record<string, { from: Source }> {
    const members = ["DefaultEbsVolumeSizeInGb", "MaximumEbsVolumeSizeInGb"];
    return Object.fromEntries(members.map((m) => [`${at}.spaceStorageSettings.defaultEbsStorageSettings.${m[0].toLowerCase()}${m.slice(1)}`, { from: sagemaker("DefaultEbsStorageSettings", m) }]));
}

/** Pulumi type token -> input path -> the model that constrains it (and the auto-name suffix when Pulumi names it). */
const FIELDS: Record<string, Record<string, { from: Source; autoName?: number }>> = {
    "aws:lb/loadBalancer:LoadBalancer": {
        name: {
            autoName: AUTO,
            from: {
                botocore: "elbv2",
                structure: "CreateLoadBalancerInput",
                member: "Name",
                says: ["can have a maximum of 32 characters", "must contain only alphanumeric characters or hyphens", "must not begin or end with a hyphen", 'must not begin with "internal-"'],
                gives: { minLength: 1, maxLength: 32, pattern: ELB_NAME, forbiddenPrefix: "internal-" },
            },
        },
        loadBalancerType: { from: { cfn: "AWS::ElasticLoadBalancingV2::LoadBalancer", prop: "Type" } },
    },
    "aws:lb/targetGroup:TargetGroup": {
        name: {
            autoName: AUTO,
            from: {
                botocore: "elbv2",
                structure: "CreateTargetGroupInput",
                member: "Name",
                says: ["can have a maximum of 32 characters", "must contain only alphanumeric characters or hyphens", "must not begin or end with a hyphen"],
                gives: { minLength: 1, maxLength: 32, pattern: ELB_NAME },
            },
        },
        port: { from: { cfn: "AWS::ElasticLoadBalancingV2::TargetGroup", prop: "Port" } },
        protocol: { from: { cfn: "AWS::ElasticLoadBalancingV2::TargetGroup", prop: "Protocol" } },
        targetType: { from: { cfn: "AWS::ElasticLoadBalancingV2::TargetGroup", prop: "TargetType" } },
        "healthCheck.interval": { from: { cfn: "AWS::ElasticLoadBalancingV2::TargetGroup", prop: "HealthCheckIntervalSeconds" } },
        "healthCheck.timeout": { from: { cfn: "AWS::ElasticLoadBalancingV2::TargetGroup", prop: "HealthCheckTimeoutSeconds" } },
        "healthCheck.healthyThreshold": { from: { cfn: "AWS::ElasticLoadBalancingV2::TargetGroup", prop: "HealthyThresholdCount" } },
        "healthCheck.unhealthyThreshold": { from: { cfn: "AWS::ElasticLoadBalancingV2::TargetGroup", prop: "UnhealthyThresholdCount" } },
        "healthCheck.path": { from: { cfn: "AWS::ElasticLoadBalancingV2::TargetGroup", prop: "HealthCheckPath" } },
        "healthCheck.protocol": { from: { cfn: "AWS::ElasticLoadBalancingV2::TargetGroup", prop: "HealthCheckProtocol" } },
    },
    "aws:rds/instance:Instance": {
        finalSnapshotIdentifier: {
            from: {
                botocore: "rds",
                structure: "CreateDBSnapshotMessage",
                member: "DBSnapshotIdentifier",
                says: ["Must contain from 1 to 255 letters, numbers, or hyphens", "First character must be a letter", "Can't end with a hyphen or contain two consecutive hyphens"],
                gives: { minLength: 1, maxLength: 255, pattern: "^[a-zA-Z](?:-?[a-zA-Z0-9])*$" },
            },
        },
        backupWindow: {
            from: { botocore: "rds", structure: "CreateDBInstanceMessage", member: "PreferredBackupWindow", says: ["Must be in the format hh24:mi-hh24:mi ."], gives: { pattern: "^([01]\\d|2[0-3]):[0-5]\\d-([01]\\d|2[0-3]):[0-5]\\d$" } },
        },
        maintenanceWindow: {
            from: {
                botocore: "rds",
                structure: "CreateDBInstanceMessage",
                member: "PreferredMaintenanceWindow",
                says: ["Must be in the format ddd:hh24:mi-ddd:hh24:mi .", "The day values must be mon | tue | wed | thu | fri | sat | sun ."],
                gives: { pattern: "^(mon|tue|wed|thu|fri|sat|sun):([01]\\d|2[0-3]):[0-5]\\d-(mon|tue|wed|thu|fri|sat|sun):([01]\\d|2[0-3]):[0-5]\\d$" },
            },
        },
        storageType: {
            from: { botocore: "rds", structure: "CreateDBInstanceMessage", member: "StorageType", says: ["Valid Values: gp2 | gp3 | io1 | io2 | standard"], gives: { enum: ["gp2", "gp3", "io1", "io2", "standard"] } },
        },
        identifier: { autoName: AUTO, from: { cfn: "AWS::RDS::DBInstance", prop: "DBInstanceIdentifier" } },
        username: { from: { cfn: "AWS::RDS::DBInstance", prop: "MasterUsername" } },
        backupRetentionPeriod: {
            from: { botocore: "rds", structure: "CreateDBInstanceMessage", member: "BackupRetentionPeriod", says: ["Must be a value from 0 to 35."], gives: { minimum: 0, maximum: 35 } },
        },
    },
    "aws:rds/parameterGroup:ParameterGroup": {
        name: {
            autoName: AUTO,
            from: {
                botocore: "rds",
                structure: "CreateDBParameterGroupMessage",
                member: "DBParameterGroupName",
                says: ["Must be 1 to 255 letters, numbers, or hyphens.", "First character must be a letter", "Can't end with a hyphen or contain two consecutive hyphens"],
                gives: { minLength: 1, maxLength: 255, pattern: "^[a-zA-Z](?:-?[a-zA-Z0-9])*$" },
            },
        },
    },
    "aws:rds/subnetGroup:SubnetGroup": {
        name: {
            autoName: AUTO,
            from: {
                botocore: "rds",
                structure: "CreateDBSubnetGroupMessage",
                member: "DBSubnetGroupName",
                says: ["Must contain no more than 255 letters, numbers, periods, underscores, spaces, or hyphens.", "First character must be a letter."],
                gives: { minLength: 1, maxLength: 255, pattern: "^[a-zA-Z][a-zA-Z0-9._ -]*$" },
            },
        },
    },
    "aws:ec2/securityGroup:SecurityGroup": {
        name: {
            autoName: AUTO,
            from: {
                botocore: "ec2",
                structure: "CreateSecurityGroupRequest",
                member: "GroupName",
                says: ["Up to 255 characters in length. Can't start with sg-", "Valid characters: a-z, A-Z, 0-9, spaces, and ._-:/()#,@[]+=&;{}!$*"],
                gives: { minLength: 1, maxLength: 255, pattern: "^[a-zA-Z0-9 ._\\-:/()#,@\\[\\]+=&;{}!$*]*$", forbiddenPrefix: "sg-" },
            },
        },
        description: { from: { cfn: "AWS::EC2::SecurityGroup", prop: "GroupDescription" } },
    },
    "aws:ec2/launchTemplate:LaunchTemplate": {
        "blockDeviceMappings[].ebs.volumeType": { from: { cfn: "AWS::EC2::LaunchTemplate", prop: "LaunchTemplateData.BlockDeviceMappings[].Ebs.VolumeType" } },
        "metadataOptions.httpTokens": { from: { cfn: "AWS::EC2::LaunchTemplate", prop: "LaunchTemplateData.MetadataOptions.HttpTokens" } },
        "metadataOptions.httpEndpoint": { from: { cfn: "AWS::EC2::LaunchTemplate", prop: "LaunchTemplateData.MetadataOptions.HttpEndpoint" } },
        name: { autoName: AUTO, from: { cfn: "AWS::EC2::LaunchTemplate", prop: "LaunchTemplateName" } },
        description: { from: { cfn: "AWS::EC2::LaunchTemplate", prop: "VersionDescription" } },
    },
    "aws:iam/role:Role": {
        name: { autoName: AUTO, from: { cfn: "AWS::IAM::Role", prop: "RoleName" } },
        description: { from: { cfn: "AWS::IAM::Role", prop: "Description" } },
        maxSessionDuration: { from: { cfn: "AWS::IAM::Role", prop: "MaxSessionDuration" } },
    },
    "aws:iam/policy:Policy": {
        name: { autoName: AUTO, from: { botocore: "iam", structure: "CreatePolicyRequest", member: "PolicyName" } },
        description: { from: { cfn: "AWS::IAM::ManagedPolicy", prop: "Description" } },
    },
    "aws:iam/instanceProfile:InstanceProfile": {
        name: { autoName: AUTO, from: { cfn: "AWS::IAM::InstanceProfile", prop: "InstanceProfileName" } },
    },
    "aws:cloudwatch/logGroup:LogGroup": {
        name: { autoName: AUTO, from: { cfn: "AWS::Logs::LogGroup", prop: "LogGroupName" } },
        retentionInDays: { from: { cfn: "AWS::Logs::LogGroup", prop: "RetentionInDays" } },
    },
    "aws:cloudwatch/eventRule:EventRule": {
        name: { autoName: AUTO, from: { cfn: "AWS::Events::Rule", prop: "Name" } },
        description: { from: { cfn: "AWS::Events::Rule", prop: "Description" } },
        eventPattern: { from: { botocore: "events", structure: "PutRuleRequest", member: "EventPattern" } },
        scheduleExpression: { from: { cfn: "AWS::Events::Rule", prop: "ScheduleExpression" } },
    },
    "aws:cloudwatch/metricAlarm:MetricAlarm": {
        name: { autoName: AUTO, from: { cfn: "AWS::CloudWatch::Alarm", prop: "AlarmName" } },
        alarmDescription: { from: { cfn: "AWS::CloudWatch::Alarm", prop: "AlarmDescription" } },
        comparisonOperator: { from: { cfn: "AWS::CloudWatch::Alarm", prop: "ComparisonOperator" } },
        statistic: { from: { cfn: "AWS::CloudWatch::Alarm", prop: "Statistic" } },
        treatMissingData: { from: { cfn: "AWS::CloudWatch::Alarm", prop: "TreatMissingData" } },
        evaluationPeriods: { from: { cfn: "AWS::CloudWatch::Alarm", prop: "EvaluationPeriods" } },
        datapointsToAlarm: { from: { cfn: "AWS::CloudWatch::Alarm", prop: "DatapointsToAlarm" } },
        period: { from: { cfn: "AWS::CloudWatch::Alarm", prop: "Period" } },
        metricName: { from: { cfn: "AWS::CloudWatch::Alarm", prop: "MetricName" } },
        namespace: { from: { cfn: "AWS::CloudWatch::Alarm", prop: "Namespace" } },
    },
    "aws:dynamodb/table:Table": {
        "attributes[].name": { from: { cfn: "AWS::DynamoDB::Table", prop: "AttributeDefinitions[].AttributeName" } },
        "attributes[].type": { from: { cfn: "AWS::DynamoDB::Table", prop: "AttributeDefinitions[].AttributeType" } },
        billingMode: { from: { botocore: "dynamodb", shape: "BillingMode" } },
        name: { autoName: AUTO, from: { botocore: "dynamodb", shape: "TableName" } },
    },
    "aws:kms/key:Key": {
        description: { from: { cfn: "AWS::KMS::Key", prop: "Description" } },
        deletionWindowInDays: { from: { cfn: "AWS::KMS::Key", prop: "PendingWindowInDays" } },
    },
    "aws:kms/alias:Alias": {
        name: { from: { cfn: "AWS::KMS::Alias", prop: "AliasName" } },
    },
    "aws:ssm/parameter:Parameter": {
        // Standard tier (the platform does not set `tier`): 4 KB.
        insecureValue: {
            from: { botocore: "ssm", structure: "PutParameterRequest", member: "Value", says: ["Standard parameters have a value limit of 4 KB."], gives: { maxLength: 4096 } },
        },
        name: { autoName: AUTO, from: { cfn: "AWS::SSM::Parameter", prop: "Name" } },
        description: { from: { cfn: "AWS::SSM::Parameter", prop: "Description" } },
        type: { from: { botocore: "ssm", shape: "ParameterType" } },
    },
    "aws:ecs/cluster:Cluster": {
        "settings[].name": { from: { botocore: "ecs", shape: "ClusterSettingName" } },
        "settings[].value": {
            from: { botocore: "ecs", structure: "ClusterSetting", member: "value", says: ["The supported values are enhanced , enabled , and disabled ."], gives: { enum: ["enhanced", "enabled", "disabled"] } },
        },
        name: {
            autoName: AUTO,
            from: { botocore: "ecs", structure: "CreateClusterRequest", member: "clusterName", says: ["Up to 255 letters (uppercase and lowercase), numbers, underscores, and hyphens are allowed."], gives: { minLength: 1, maxLength: 255, pattern: "^[A-Za-z0-9_-]+$" } },
        },
    },
    "aws:ecs/taskDefinition:TaskDefinition": {
        "requiresCompatibilities[]": { from: { cfn: "AWS::ECS::TaskDefinition", prop: "RequiresCompatibilities[]" } },
        "runtimePlatform.cpuArchitecture": { from: { cfn: "AWS::ECS::TaskDefinition", prop: "RuntimePlatform.CpuArchitecture" } },
        "runtimePlatform.operatingSystemFamily": { from: { cfn: "AWS::ECS::TaskDefinition", prop: "RuntimePlatform.OperatingSystemFamily" } },
        "volumes[].efsVolumeConfiguration.transitEncryption": { from: { cfn: "AWS::ECS::TaskDefinition", prop: "Volumes[].EFSVolumeConfiguration.TransitEncryption" } },
        family: {
            from: { botocore: "ecs", structure: "RegisterTaskDefinitionRequest", member: "family", says: ["Up to 255 letters (uppercase and lowercase), numbers, underscores, and hyphens are allowed."], gives: { minLength: 1, maxLength: 255, pattern: "^[A-Za-z0-9_-]+$" } },
        },
        networkMode: { from: { cfn: "AWS::ECS::TaskDefinition", prop: "NetworkMode" } },
    },
    "aws:ecs/service:Service": {
        name: {
            autoName: AUTO,
            from: { botocore: "ecs", structure: "CreateServiceRequest", member: "serviceName", says: ["Up to 255 letters (uppercase and lowercase), numbers, underscores, and hyphens are allowed."], gives: { minLength: 1, maxLength: 255, pattern: "^[A-Za-z0-9_-]+$" } },
        },
        launchType: { from: { cfn: "AWS::ECS::Service", prop: "LaunchType" } },
        propagateTags: { from: { cfn: "AWS::ECS::Service", prop: "PropagateTags" } },
        availabilityZoneRebalancing: { from: { cfn: "AWS::ECS::Service", prop: "AvailabilityZoneRebalancing" } },
    },
    "aws:batch/computeEnvironment:ComputeEnvironment": {
        name: {
            from: {
                botocore: "batch",
                structure: "CreateComputeEnvironmentRequest",
                member: "computeEnvironmentName",
                says: ["It can be up to 128 characters long.", "It can contain uppercase and lowercase letters, numbers, hyphens (-), and underscores (_)."],
                gives: { minLength: 1, maxLength: 128, pattern: "^[A-Za-z0-9_-]+$" },
            },
        },
        type: { from: { botocore: "batch", shape: "CEType" } },
        state: { from: { botocore: "batch", shape: "CEState" } },
    },
    "aws:batch/jobQueue:JobQueue": {
        "jobStateTimeLimitActions[].maxTimeSeconds": { from: { cfn: "AWS::Batch::JobQueue", prop: "JobStateTimeLimitActions[].MaxTimeSeconds" } },
        "jobStateTimeLimitActions[].state": { from: { cfn: "AWS::Batch::JobQueue", prop: "JobStateTimeLimitActions[].State" } },
        name: {
            autoName: AUTO,
            from: {
                botocore: "batch",
                structure: "CreateJobQueueRequest",
                member: "jobQueueName",
                says: ["It can be up to 128 letters long.", "It can contain uppercase and lowercase letters, numbers, hyphens (-), and underscores (_)."],
                gives: { minLength: 1, maxLength: 128, pattern: "^[A-Za-z0-9_-]+$" },
            },
        },
        priority: { from: { cfn: "AWS::Batch::JobQueue", prop: "Priority" } },
        state: { from: { cfn: "AWS::Batch::JobQueue", prop: "State" } },
    },
    "aws:budgets/budget:Budget": {
        "notifications[].comparisonOperator": { from: { botocore: "budgets", structure: "Notification", member: "ComparisonOperator" } },
        "notifications[].notificationType": { from: { botocore: "budgets", structure: "Notification", member: "NotificationType" } },
        "notifications[].thresholdType": { from: { botocore: "budgets", structure: "Notification", member: "ThresholdType" } },
        name: { autoName: AUTO, from: { botocore: "budgets", shape: "BudgetName" } },
        timeUnit: { from: { botocore: "budgets", shape: "TimeUnit" } },
        budgetType: { from: { botocore: "budgets", shape: "BudgetType" } },
    },
    "aws:appautoscaling/target:Target": {
        serviceNamespace: { from: { cfn: "AWS::ApplicationAutoScaling::ScalableTarget", prop: "ServiceNamespace" } },
        scalableDimension: { from: { cfn: "AWS::ApplicationAutoScaling::ScalableTarget", prop: "ScalableDimension" } },
    },
    "aws:appautoscaling/policy:Policy": {
        "targetTrackingScalingPolicyConfiguration.predefinedMetricSpecification.predefinedMetricType": {
            from: { cfn: "AWS::ApplicationAutoScaling::ScalingPolicy", prop: "TargetTrackingScalingPolicyConfiguration.PredefinedMetricSpecification.PredefinedMetricType" },
        },
        name: { autoName: AUTO, from: { botocore: "application-autoscaling", structure: "PutScalingPolicyRequest", member: "PolicyName" } },
        policyType: { from: { botocore: "application-autoscaling", shape: "PolicyType" } },
    },
    "aws:lb/listener:Listener": {
        port: { from: { cfn: "AWS::ElasticLoadBalancingV2::Listener", prop: "Port" } },
        protocol: { from: { cfn: "AWS::ElasticLoadBalancingV2::Listener", prop: "Protocol" } },
        "defaultActions[].type": { from: { cfn: "AWS::ElasticLoadBalancingV2::Listener", prop: "DefaultActions[].Type" } },
        "defaultActions[].order": { from: { cfn: "AWS::ElasticLoadBalancingV2::Listener", prop: "DefaultActions[].Order" } },
        "defaultActions[].authenticateOidc.onUnauthenticatedRequest": { from: { cfn: "AWS::ElasticLoadBalancingV2::Listener", prop: "DefaultActions[].AuthenticateOidcConfig.OnUnauthenticatedRequest" } },
    },
    "aws:lb/listenerRule:ListenerRule": {
        priority: { from: { cfn: "AWS::ElasticLoadBalancingV2::ListenerRule", prop: "Priority" } },
        "actions[].type": { from: { cfn: "AWS::ElasticLoadBalancingV2::ListenerRule", prop: "Actions[].Type" } },
        "actions[].order": { from: { cfn: "AWS::ElasticLoadBalancingV2::ListenerRule", prop: "Actions[].Order" } },
    },
    "aws:cloudwatch/eventTarget:EventTarget": {
        "inputTransformer.inputTemplate": { from: { cfn: "AWS::Events::Rule", prop: "Targets[].InputTransformer.InputTemplate" } },
        input: { from: { cfn: "AWS::Events::Rule", prop: "Targets[].Input" } },
    },
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": {
        "rule.objectOwnership": { from: { cfn: "AWS::S3::Bucket", prop: "OwnershipControls.Rules[].ObjectOwnership" } },
    },
    "aws:s3/bucketVersioning:BucketVersioning": {
        "versioningConfiguration.status": { from: { cfn: "AWS::S3::Bucket", prop: "VersioningConfiguration.Status" } },
    },
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": {
        "rules[].applyServerSideEncryptionByDefault.sseAlgorithm": { from: { cfn: "AWS::S3::Bucket", prop: "BucketEncryption.ServerSideEncryptionConfiguration[].ServerSideEncryptionByDefault.SSEAlgorithm" } },
    },
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": {
        "rules[].id": { from: { cfn: "AWS::S3::Bucket", prop: "LifecycleConfiguration.Rules[].Id" } },
        "rules[].status": { from: { cfn: "AWS::S3::Bucket", prop: "LifecycleConfiguration.Rules[].Status" } },
        "rules[].transitions[].storageClass": { from: { cfn: "AWS::S3::Bucket", prop: "LifecycleConfiguration.Rules[].Transition.StorageClass" } },
        "rules[].noncurrentVersionTransitions[].storageClass": { from: { cfn: "AWS::S3::Bucket", prop: "LifecycleConfiguration.Rules[].NoncurrentVersionTransition.StorageClass" } },
        "rules[].abortIncompleteMultipartUpload.daysAfterInitiation": { from: { cfn: "AWS::S3::Bucket", prop: "LifecycleConfiguration.Rules[].AbortIncompleteMultipartUpload.DaysAfterInitiation" } },
        transitionDefaultMinimumObjectSize: { from: { cfn: "AWS::S3::Bucket", prop: "LifecycleConfiguration.TransitionDefaultMinimumObjectSize" } },
    },
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": { ipProtocol: { from: IP_PROTOCOL } },
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": { ipProtocol: { from: IP_PROTOCOL } },
    "aws:secretsmanager/secretVersion:SecretVersion": {
        secretString: { from: { cfn: "AWS::SecretsManager::Secret", prop: "SecretString" } },
    },
    "aws:secretsmanager/secret:Secret": {
        name: { autoName: AUTO, from: { cfn: "AWS::SecretsManager::Secret", prop: "Name" } },
        description: { from: { cfn: "AWS::SecretsManager::Secret", prop: "Description" } },
    },
    "aws:apigateway/stage:Stage": {
        stageName: {
            from: {
                botocore: "apigateway",
                structure: "CreateStageRequest",
                member: "stageName",
                says: ["Stage names can only contain alphanumeric characters, hyphens, and underscores.", "Maximum length is 128 characters."],
                gives: { minLength: 1, maxLength: 128, pattern: "^[A-Za-z0-9_-]+$" },
            },
        },
    },
    "aws:apigateway/integration:Integration": {
        type: { from: { cfn: "AWS::ApiGateway::Method", prop: "Integration.Type" } },
        connectionType: { from: { cfn: "AWS::ApiGateway::Method", prop: "Integration.ConnectionType" } },
        timeoutMilliseconds: { from: { botocore: "apigateway", structure: "PutIntegrationRequest", member: "timeoutInMillis", says: ["Custom timeout between 50 and 29,000 milliseconds."], gives: { minimum: 50 } } },
    },
    "aws:apigateway/usagePlan:UsagePlan": {
        "throttleSettings.burstLimit": { from: { cfn: "AWS::ApiGateway::UsagePlan", prop: "Throttle.BurstLimit" } },
        "throttleSettings.rateLimit": { from: { cfn: "AWS::ApiGateway::UsagePlan", prop: "Throttle.RateLimit" } },
    },
    "aws:sns/topicSubscription:TopicSubscription": {
        protocol: {
            from: {
                botocore: "sns",
                structure: "SubscribeInput",
                member: "Protocol",
                says: ["http –", "https –", "email –", "email-json –", "sms –", "sqs –", "application –", "lambda –", "firehose –"],
                gives: { enum: ["http", "https", "email", "email-json", "sms", "sqs", "application", "lambda", "firehose"] },
            },
        },
    },
    // Not created by the platform (Metaflow's step-functions create does), but its name limit bounds the state
    // machine prefix and flow names the configuration accepts.
    "aws:sfn/stateMachine:StateMachine": { name: { from: { botocore: "stepfunctions", shape: "Name" } } },
    "aws:s3/bucket:Bucket": {
        bucket: { autoName: AUTO, from: { cfn: "AWS::S3::Bucket", prop: "BucketName" } },
    },
    // SageMaker Studio workspaces and serverless serving (docs/design/workspaces-and-serving.md). The Studio names are
    // required inputs; Model, EndpointConfiguration and Endpoint take an optional `name`, which Pulumi auto-names.
    "aws:sagemaker/domain:Domain": {
        domainName: { from: sagemaker("CreateDomainRequest", "DomainName") },
        authMode: { from: sagemaker("CreateDomainRequest", "AuthMode") },
        appNetworkAccessType: { from: sagemaker("CreateDomainRequest", "AppNetworkAccessType") },
        ...idleSettings("defaultUserSettings"),
        ...spaceStorage("defaultUserSettings"),
    },
    "aws:sagemaker/userProfile:UserProfile": {
        userProfileName: { from: sagemaker("CreateUserProfileRequest", "UserProfileName") },
        ...idleSettings("userSettings"),
        ...spaceStorage("userSettings"),
    },
    "aws:sagemaker/studioLifecycleConfig:StudioLifecycleConfig": {
        studioLifecycleConfigName: { from: sagemaker("CreateStudioLifecycleConfigRequest", "StudioLifecycleConfigName") },
        studioLifecycleConfigAppType: { from: sagemaker("CreateStudioLifecycleConfigRequest", "StudioLifecycleConfigAppType") },
        studioLifecycleConfigContent: { from: sagemaker("CreateStudioLifecycleConfigRequest", "StudioLifecycleConfigContent") },
    },
    "aws:sagemaker/modelPackageGroup:ModelPackageGroup": {
        modelPackageGroupName: { from: sagemaker("CreateModelPackageGroupInput", "ModelPackageGroupName") },
    },
    "aws:sagemaker/model:Model": {
        name: { autoName: AUTO, from: sagemaker("CreateModelInput", "ModelName") },
    },
    "aws:sagemaker/endpointConfiguration:EndpointConfiguration": {
        name: { autoName: AUTO, from: sagemaker("CreateEndpointConfigInput", "EndpointConfigName") },
        "productionVariants[].variantName": { from: sagemaker("ProductionVariant", "VariantName") },
        // The shape says 1024-6144; the documentation narrows it to whole gigabytes.
        "productionVariants[].serverlessConfig.memorySizeInMb": {
            from: {
                botocore: "sagemaker",
                structure: "ProductionVariantServerlessConfig",
                member: "MemorySizeInMB",
                says: ["Valid values are in 1 GB increments: 1024 MB, 2048 MB, 3072 MB, 4096 MB, 5120 MB, or 6144 MB."],
                gives: { enum: [1024, 2048, 3072, 4096, 5120, 6144] },
            },
        },
        "productionVariants[].serverlessConfig.maxConcurrency": { from: sagemaker("ProductionVariantServerlessConfig", "MaxConcurrency") },
        "productionVariants[].serverlessConfig.provisionedConcurrency": { from: sagemaker("ProductionVariantServerlessConfig", "ProvisionedConcurrency") },
    },
    "aws:sagemaker/endpoint:Endpoint": {
        name: { autoName: AUTO, from: sagemaker("CreateEndpointInput", "EndpointName") },
    },
};

/** `namePrefix` inputs: the name's constraint with the provider's 26-character unique suffix. */
const NAME_PREFIXES: Record<string, string> = { "aws:batch/computeEnvironment:ComputeEnvironment": "name", "aws:sagemaker/endpointConfiguration:EndpointConfiguration": "name" };

/** Fargate task sizes, parsed from the ECS model's documentation of RegisterTaskDefinition `memory`. */
function fargateSizes(models: Models): { pairs: Record<string, number[]>; source: string } {
    const { doc } = models.member("ecs", "RegisterTaskDefinitionRequest", "memory");
    const pairs: Record<string, number[]> = {};
    const gb = (s: string) => Number(s) * 1024;
    const table = doc.slice(doc.indexOf("Windows containers on Fargate.") + "Windows containers on Fargate.".length);
    for (const m of table.matchAll(/\s*(?:This option requires Linux platform [\d.]+ or later\.)?\s*(.*?) - Available cpu values: (\d+) \([^)]*vCPU\)/g)) {
        const [, item, cpu] = m;
        let memory: number[];
        const between = /^Between (\d+)\s?(GB)?(?: \(\d+ GB\))? and (\d+)\s?(?:GB)?(?: \(\d+ GB\))? in (?:increments of (\d+) \(\d+ GB\)|(\d+) GB increments)$/.exec(item);
        if (between) {
            const unit = between[2] ? 1024 : 1;
            const step = between[4] ? Number(between[4]) : gb(between[5]);
            memory = [];
            for (let v = Number(between[1]) * unit; v <= Number(between[3]) * unit; v += step) memory.push(v);
        } else {
            memory = [...item.matchAll(/(\d+) \(\d+(?:\.\d+)? GB\)/g)].map((x) => Number(x[1]));
        }
        pairs[cpu] = memory;
    }
    const expected = ["256", "512", "1024", "2048", "4096", "8192", "16384"];
    if (expected.some((c) => !pairs[c]?.length)) throw new Error(`could not read every Fargate CPU value from the ECS memory documentation: ${JSON.stringify(pairs)}; read it again: ${doc}`);
    return { pairs, source: "botocore ecs RegisterTaskDefinitionRequest.memory documentation (the Fargate cpu/memory table)" };
}

/** Security group rule descriptions: allowed characters from the EC2 model's documentation of IpRange and UserIdGroupPair. */
function ruleDescriptions(models: Models): { cidr: FieldConstraint; group: FieldConstraint } {
    const read = (structure: string): FieldConstraint => {
        const { doc } = models.member("ec2", structure, "Description");
        const m = /Up to (\d+) characters in length\. Allowed characters are a-z, A-Z, 0-9, spaces, and (\S+)/.exec(doc);
        if (!m) throw new Error(`ec2 ${structure}.Description: the documentation no longer states the allowed characters; read it again: ${doc}`);
        const specials = m[2].replace(/[\\\]^-]/g, (c) => `\\${c}`);
        return { maxLength: Number(m[1]), pattern: `^[a-zA-Z0-9 ${specials}]*$`, source: `botocore ec2 ${structure}.Description documentation: "Up to ${m[1]} characters in length. Allowed characters are a-z, A-Z, 0-9, spaces, and ${m[2]}"` };
    };
    return { cidr: read("IpRange"), group: read("UserIdGroupPair") };
}

/** S3 lifecycle transition day minimums per storage class, from the S3 model's documentation of Transition.Days. */
function lifecycleMinimums(models: Models): { minimumDays: Record<string, number>; source: string } {
    const says = ["If the specified storage class is INTELLIGENT_TIERING , GLACIER_IR , GLACIER , or DEEP_ARCHIVE , valid values are 0 or positive integers.", "If the specified storage class is STANDARD_IA or ONEZONE_IA , valid values are positive integers greater than 30 ."];
    const source = documented(models, "s3", "Transition", "Days", says);
    // "greater than 30" in the model; the S3 User Guide, "Constraints and considerations for transitions"
    // (https://docs.aws.amazon.com/AmazonS3/latest/userguide/lifecycle-transition-general-considerations.html), says
    // objects must be stored "at least 30 days" before Standard-IA or One Zone-IA, and S3 accepts 30, which the
    // platform's lifecycle rules use.
    return { minimumDays: { STANDARD_IA: 30, ONEZONE_IA: 30, INTELLIGENT_TIERING: 0, GLACIER_IR: 0, GLACIER: 0, DEEP_ARCHIVE: 0 }, source };
}

/** What Batch accepts in `instanceTypes` besides types and families, from the Batch model's documentation. */
function batchKeywords(models: Models): { keywords: string[]; source: string } {
    const says = ["optimal to select instance types", "default_x86_64 to choose x86 based instance types", "default_arm64 to choose ARM based instance types"];
    return { keywords: says.map((x) => x.split(" ")[0]), source: documented(models, "batch", "ComputeResource", "instanceTypes", says) };
}

export function extract(dirs: SourceDirs): AwsConstraintData {
    const models = new Models(dirs);
    const fields: AwsConstraintData["fields"] = {};
    for (const [type, inputs] of Object.entries(FIELDS)) {
        fields[type] = {};
        for (const [input, spec] of Object.entries(inputs)) {
            const c = constraintOf(models, spec.from);
            fields[type][input] = spec.autoName ? { ...c, autoNameSuffix: spec.autoName } : c;
        }
    }
    for (const [type, input] of Object.entries(NAME_PREFIXES)) fields[type].namePrefix = { ...fields[type][input], autoNameSuffix: PREFIX };
    const ec2 = models.service("ec2");
    const studioType = models.member("sagemaker", "ResourceSpec", "InstanceType");
    const eventPattern = models.member("events", "PutRuleRequest", "EventPattern").shape;
    const facts = {
        fields,
        securityGroupRuleDescription: ruleDescriptions(models),
        fargate: fargateSizes(models),
        s3Lifecycle: lifecycleMinimums(models),
        eventPattern: { maxLength: eventPattern.max, source: "botocore events EventPattern" },
        instanceTypes: { source: `botocore ec2 ${ec2.version} InstanceType enum`, types: [...ec2.model.shapes.InstanceType.enum].sort() },
        sagemakerAppInstanceTypes: {
            source: `botocore sagemaker ${models.service("sagemaker").version} ResourceSpec.InstanceType (${studioType.shapeName} enum: the instance types of Studio apps, JupyterLab's included)`,
            types: [...studioType.shape.enum].sort(),
        },
        batchInstanceKeywords: batchKeywords(models),
        userData: { maxBytes: 16 * 1024, source: documented(models, "ec2", "RequestLaunchTemplateData", "UserData", ["You must provide base64-encoded text.", "User data is limited to 16 KB."]) },
        rdsWindows: {
            minMinutes: 30,
            source: `${documented(models, "rds", "CreateDBInstanceMessage", "PreferredBackupWindow", ["Must not conflict with the preferred maintenance window.", "Must be at least 30 minutes."])}; ${documented(models, "rds", "CreateDBInstanceMessage", "PreferredMaintenanceWindow", ["Must not conflict with the preferred backup window.", "Must be at least 30 minutes."])}`,
        },
        tags: {
            key: constraintOf(models, { cfn: "AWS::ECS::Service", prop: "Tags[].Key" }),
            value: constraintOf(models, { cfn: "AWS::ECS::Service", prop: "Tags[].Value" }),
            maxTags: models.shape("ecs", "Tags").max,
            source: "cfn-lint schema AWS::ECS::Service Tags[] (the key and value rules AWS's tagging shares across services) and botocore ecs Tags (at most this many tags per resource)",
        },
    };
    // Every model the facts came from, with its API version.
    const sources: Record<string, string> = {
        python: dirs.python,
        botocore: dirs.botocoreVersion,
        "cfn-lint": dirs.cfnlintVersion,
        "cfn-lint schemas": "data/schemas/providers/us_east_1 (patches applied)",
    };
    for (const [service, version] of models.services()) sources[`botocore ${service}`] = version;
    return {
        "//": "Generated by scripts/aws-constraints.ts from botocore's service models and cfn-lint's CloudFormation schemas; do not edit: npm run -s aws-constraints -- --write",
        sources,
        ...facts,
    };
}

export function render(data: AwsConstraintData): string {
    return `${JSON.stringify(data, null, 1)}\n`;
}

if (require.main === module) {
    const dirs = findSources();
    if (typeof dirs === "string") {
        process.stderr.write(`${dirs}\n`);
        process.exit(2);
    }
    const text = render(extract(dirs));
    if (process.argv.includes("--write")) {
        fs.writeFileSync(DATA_FILE, text);
        process.stdout.write(`wrote ${path.relative(process.cwd(), DATA_FILE)}\n`);
    } else process.stdout.write(text);
}
