/**
 * Pulumi's mock runtime, set up for this program: resource state that looks like what AWS returns (names, ARNs,
 * ids), answers for every invoke the program uses (any other invoke throws with its token, rather than hanging),
 * StackReference outputs from fixtures, and a recorder of every registration with its parent, protect and options.
 *
 * Used by the tests and by the offline plan; `setMocks` must run before the program registers anything.
 */
import * as pulumi from "@pulumi/pulumi";

import "./mock-runtime";

export const MOCK_ACCOUNT = "123456789012";
export const SECRET_MASK = "[secret]";

export interface RecordedResource {
    urn: string;
    /** The provider id the mock assigned (what `resource.id` resolves to). */
    id?: string;
    type: string;
    name: string;
    parent?: string;
    custom: boolean;
    protect: boolean;
    retainOnDelete: boolean;
    provider?: string;
    dependencies: string[];
    /** Inputs as registered; secret values are replaced by `[secret]` unless the recorder shows secrets. */
    inputs: Record<string, any>;
    /** Dotted paths of the inputs that were secret. */
    secretPaths: string[];
    /** The state the mock returned (what later `.arn`, `.name` reads resolve to). */
    state: Record<string, any>;
}

/** Outputs of referenced stacks, keyed by fully qualified stack name. */
export type ReferenceFixtures = Record<string, Record<string, unknown>>;

const SECRET_SIG = "4dabf18193072939515e22adb298388d";
const SPECIAL_SIG = "1b47061264138c4ac30d75fd1eb44270";

/** Replaces Pulumi's serialized secrets with their value or a mask, and notes where they were. */
function unwrapSecrets(value: any, show: boolean, path: string, secretPaths: string[]): any {
    if (Array.isArray(value)) return value.map((v, i) => unwrapSecrets(v, show, `${path}[${i}]`, secretPaths));
    if (value !== null && typeof value === "object") {
        if (value[SECRET_SIG] === SPECIAL_SIG) {
            secretPaths.push(path);
            return show ? unwrapSecrets(value.value, show, path, []) : SECRET_MASK;
        }
        if (SECRET_SIG in value) return `[resource ${value.urn ?? value.value ?? ""}]`;
        return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, unwrapSecrets(v, show, path ? `${path}.${k}` : k, secretPaths)]));
    }
    return value;
}

const REGION = "us-east-1";

/** A stable hex string derived from a name, for ids such as sg-0... */
function hex(name: string, length: number): string {
    let h = 2166136261;
    let out = "";
    while (out.length < length) {
        for (const c of `${name}${out.length}`) h = Math.imul(h ^ c.charCodeAt(0), 16777619) >>> 0;
        out += h.toString(16).padStart(8, "0");
    }
    return out.slice(0, length);
}

function service(type: string): string {
    return type.split(":")[1]?.split("/")[0] ?? "mock";
}

/** What a mocked resource's state is computed from. */
interface StateContext {
    /** The resource's logical name. */
    name: string;
    inputs: Record<string, any>;
    /** The name Pulumi would generate for the resource (logical name and a random suffix). */
    autoName: string;
    /** The resource's physical name: its `name` input, else the generated one. */
    physical: string;
    /** The generic state: an id from the logical name, the physical name and an ARN of the type's shape. */
    base: MockedState;
}

interface MockedState {
    id: string;
    state: Record<string, any>;
}

/** Per type, the state a real provider would compute (a type not listed gets the generic `base`). */
const STATES: Record<string, (c: StateContext) => MockedState> = {
    "aws:s3/bucket:Bucket": ({ inputs, autoName }) => {
        const bucket = inputs.bucket ?? autoName;
        return { id: bucket, state: { ...inputs, bucket, arn: `arn:aws:s3:::${bucket}`, bucketDomainName: `${bucket}.s3.amazonaws.com` } };
    },
    "aws:kms/key:Key": ({ name, inputs }) => {
        const keyId = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0".replace(/^0f/, name.length.toString(16).padStart(2, "0"));
        return { id: keyId, state: { ...inputs, keyId, arn: `arn:aws:kms:${REGION}:${MOCK_ACCOUNT}:key/${keyId}` } };
    },
    "aws:iam/role:Role": ({ inputs, physical }) => ({ id: physical, state: { ...inputs, name: physical, arn: `arn:aws:iam::${MOCK_ACCOUNT}:role/${physical}`, uniqueId: "AROAMOCK" } }),
    "aws:iam/openIdConnectProvider:OpenIdConnectProvider": ({ inputs }) => {
        // AWS names a provider by its URL's host: one provider per issuer and account.
        const host = String(inputs.url ?? "").replace(/^https:\/\//, "");
        const arn = `arn:aws:iam::${MOCK_ACCOUNT}:oidc-provider/${host}`;
        return { id: arn, state: { ...inputs, arn } };
    },
    "aws:iam/policy:Policy": ({ inputs, physical }) => ({ id: `arn:aws:iam::${MOCK_ACCOUNT}:policy/${physical}`, state: { ...inputs, name: physical, arn: `arn:aws:iam::${MOCK_ACCOUNT}:policy/${physical}` } }),
    "aws:cloudwatch/logGroup:LogGroup": ({ inputs, physical }) => ({ id: physical, state: { ...inputs, name: physical, arn: `arn:aws:logs:${REGION}:${MOCK_ACCOUNT}:log-group:${physical}` } }),
    "aws:lb/loadBalancer:LoadBalancer": ({ inputs, autoName }) => {
        const lbName = inputs.name ?? autoName;
        const kind = inputs.loadBalancerType === "network" ? "net" : "app";
        return {
            id: `arn:aws:elasticloadbalancing:${REGION}:${MOCK_ACCOUNT}:loadbalancer/${kind}/${lbName}/50dc6c495c0c9188`,
            state: {
                ...inputs,
                name: lbName,
                arn: `arn:aws:elasticloadbalancing:${REGION}:${MOCK_ACCOUNT}:loadbalancer/${kind}/${lbName}/50dc6c495c0c9188`,
                arnSuffix: `${kind}/${lbName}/50dc6c495c0c9188`,
                dnsName: `internal-${lbName}-1234567890.${REGION}.elb.amazonaws.com`,
                zoneId: "Z35SXDOTRQ7X7K",
            },
        };
    },
    "aws:lb/targetGroup:TargetGroup": ({ name, inputs, autoName }) => {
        const tgName = inputs.name ?? autoName;
        const suffix = `targetgroup/${tgName}/${hex(name, 16)}`;
        const tgArn = `arn:aws:elasticloadbalancing:${REGION}:${MOCK_ACCOUNT}:${suffix}`;
        return { id: tgArn, state: { ...inputs, name: tgName, arn: tgArn, arnSuffix: suffix } };
    },
    "aws:sns/topic:Topic": ({ inputs, physical }) => {
        const topicArn = `arn:aws:sns:${REGION}:${MOCK_ACCOUNT}:${physical}`;
        return { id: topicArn, state: { ...inputs, name: physical, arn: topicArn } };
    },
    "aws:rds/instance:Instance": ({ inputs, autoName }) => {
        const identifier = inputs.identifier ?? autoName;
        const address = `${identifier}.c9akciq32.${REGION}.rds.amazonaws.com`;
        return {
            id: identifier,
            state: {
                ...inputs,
                identifier,
                address,
                port: inputs.port ?? 5432,
                endpoint: `${address}:5432`,
                arn: `arn:aws:rds:${REGION}:${MOCK_ACCOUNT}:db:${identifier}`,
                masterUserSecrets: inputs.manageMasterUserPassword
                    ? [{ secretArn: `arn:aws:secretsmanager:${REGION}:${MOCK_ACCOUNT}:secret:rds!db-${identifier}-AbCdEf`, kmsKeyId: inputs.masterUserSecretKmsKeyId, secretStatus: "active" }]
                    : [],
            },
        };
    },
    "aws:apigateway/restApi:RestApi": ({ inputs }) => ({ id: "a1b2c3d4e5", state: { ...inputs, arn: `arn:aws:apigateway:${REGION}::/restapis/a1b2c3d4e5`, rootResourceId: "r00tres0ur", executionArn: `arn:aws:execute-api:${REGION}:${MOCK_ACCOUNT}:a1b2c3d4e5` } }),
    "aws:apigateway/stage:Stage": ({ name, inputs }) => ({ id: `${name}-id`, state: { ...inputs, invokeUrl: `https://a1b2c3d4e5.execute-api.${REGION}.amazonaws.com/${inputs.stageName}`, arn: `arn:aws:apigateway:${REGION}::/restapis/a1b2c3d4e5/stages/${inputs.stageName}` } }),
    "random:index/randomPassword:RandomPassword": ({ name, inputs }) => {
        // Deterministic, so tests can look for it in places it must never appear.
        return { id: `${name}-id`, state: { ...inputs, result: `MockGeneratedSecret${name.replace(/[^A-Za-z0-9]/g, "")}`.slice(0, inputs.length ?? 40) } };
    },
    "aws:ec2/securityGroup:SecurityGroup": ({ name, inputs }) => ({ id: `sg-0${hex(name, 16)}`, state: { ...inputs, arn: `arn:aws:ec2:${REGION}:${MOCK_ACCOUNT}:security-group/sg-0${hex(name, 16)}` } }),
    "aws:ec2/launchTemplate:LaunchTemplate": ({ name, inputs }) => ({ id: `lt-0${hex(name, 16)}`, state: { ...inputs, latestVersion: 1, defaultVersion: 1, arn: `arn:aws:ec2:${REGION}:${MOCK_ACCOUNT}:launch-template/lt-0${hex(name, 16)}` } }),
    "aws:iam/instanceProfile:InstanceProfile": ({ inputs, physical }) => ({ id: physical, state: { ...inputs, name: physical, arn: `arn:aws:iam::${MOCK_ACCOUNT}:instance-profile/${physical}` } }),
    "aws:batch/computeEnvironment:ComputeEnvironment": ({ name, inputs }) => {
        const ceName = inputs.name ?? `${inputs.namePrefix ?? `${name}-`}20261126000000000000000001`;
        const ceArn = `arn:aws:batch:${REGION}:${MOCK_ACCOUNT}:compute-environment/${ceName}`;
        return { id: ceArn, state: { ...inputs, name: ceName, arn: ceArn, ecsClusterArn: `arn:aws:ecs:${REGION}:${MOCK_ACCOUNT}:cluster/${ceName}_Batch_mock` } };
    },
    "aws:batch/jobQueue:JobQueue": ({ inputs, physical }) => {
        const queueArn = `arn:aws:batch:${REGION}:${MOCK_ACCOUNT}:job-queue/${physical}`;
        return { id: queueArn, state: { ...inputs, name: physical, arn: queueArn } };
    },
    "aws:dynamodb/table:Table": ({ inputs, physical }) => ({ id: physical, state: { ...inputs, name: physical, arn: `arn:aws:dynamodb:${REGION}:${MOCK_ACCOUNT}:table/${physical}` } }),
    "aws:sfn/stateMachine:StateMachine": ({ inputs, physical }) => {
        // Step Functions' ARNs: service "states", resource "stateMachine:<name>" (not the generic shape below).
        const smArn = `arn:aws:states:${REGION}:${MOCK_ACCOUNT}:stateMachine:${physical}`;
        return { id: smArn, state: { ...inputs, name: physical, arn: smArn } };
    },
    "aws:cloudwatch/eventRule:EventRule": ({ inputs, physical }) => ({ id: physical, state: { ...inputs, name: physical, arn: `arn:aws:events:${REGION}:${MOCK_ACCOUNT}:rule/${physical}` } }),
    "aws:appautoscaling/target:Target": ({ name, inputs, base }) => {
        // Application Auto Scaling names its targets by a generated id (IAM: scalable-target/${ScalableTargetId}).
        return { id: base.id, state: { ...inputs, arn: `arn:aws:application-autoscaling:${REGION}:${MOCK_ACCOUNT}:scalable-target/${hex(name, 28)}` } };
    },
    "aws:ec2/instance:Instance": ({ physical, base }) => {
        // The primary network interface, which a NAT instance's route targets.
        return { id: base.id, state: { ...base.state, primaryNetworkInterfaceId: `eni-${physical.replace(/[^a-z0-9]/g, "").slice(-17)}`, arn: `arn:aws:ec2:${REGION}:${MOCK_ACCOUNT}:instance/${base.id}` } };
    },
};

/** State that a real provider would compute: ids, names, ARNs, endpoints. Inputs always win. */
function mockState(type: string, name: string, inputs: Record<string, any>): MockedState {
    const autoName = `${name}-${"a1b2c3d"}`;
    const physical = inputs.name ?? autoName;
    const arn = `arn:aws:${service(type)}:${REGION}:${MOCK_ACCOUNT}:${type.split("/")[1]?.split(":")[0] ?? "resource"}/${physical}`;
    const base = { id: `${name}-id`, state: { arn, name: physical, ...inputs } };
    const compute = STATES[type];
    return compute ? compute({ name, inputs, autoName, physical, base }) : base;
}

/** Answers for the invokes the program makes. */
function invoke(token: string, inputs: Record<string, any>): Record<string, any> {
    switch (token) {
        case "aws:index/getCallerIdentity:getCallerIdentity":
            return { accountId: MOCK_ACCOUNT, arn: `arn:aws:iam::${MOCK_ACCOUNT}:user/mock`, userId: "AIDAMOCK", id: MOCK_ACCOUNT };
        case "aws:index/getRegion:getRegion":
            return { name: REGION, region: REGION, id: REGION, endpoint: `ec2.${REGION}.amazonaws.com`, description: "mock" };
        case "aws:index/getPartition:getPartition":
            return { partition: "aws", dnsSuffix: "amazonaws.com", id: "aws" };
        case "aws:elb/getServiceAccount:getServiceAccount":
            // Elastic Load Balancing's log-delivery account in us-east-1 (AWS documentation).
            return { arn: "arn:aws:iam::127311923021:root", id: "127311923021", region: inputs.region ?? REGION };
        case "aws:index/getAvailabilityZones:getAvailabilityZones":
            return { names: [`${REGION}a`, `${REGION}b`, `${REGION}c`], zoneIds: ["use1-az1", "use1-az2", "use1-az4"], id: REGION };
        default: {
            // Pulumi surfaces a failed invoke with the RPC error's `details`, so the message goes there too.
            const message = `offline mocks: no answer for invoke "${token}" (inputs ${JSON.stringify(inputs)}); add one to offline/mocks.ts`;
            throw Object.assign(new Error(message), { details: message });
        }
    }
}

export interface Recorder {
    resources: RecordedResource[];
    /** Resolves once every registration and invoke started so far has been answered, and no new one follows. */
    settled(): Promise<void>;
}

/**
 * Installs the mocks and the recorder. `references` answers StackReferences; a stack missing from it has no outputs.
 */
export async function installMocks(opts: { project: string; stack: string; references: ReferenceFixtures; showSecrets?: boolean }): Promise<Recorder> {
    const resources: RecordedResource[] = [];
    let pending = 0;
    const mocks: pulumi.runtime.Mocks = {
        newResource(args) {
            if (args.type === "pulumi:pulumi:StackReference") {
                const stackName = args.inputs.name as string;
                return { id: stackName, state: { name: stackName, outputs: opts.references[stackName] ?? {}, secretOutputNames: [] } };
            }
            return mockState(args.type, args.name, args.inputs);
        },
        call(args) {
            return invoke(args.token, args.inputs);
        },
    };
    await pulumi.runtime.setMocks(mocks, opts.project, opts.stack, true);
    const monitor = pulumi.runtime.getMonitor() as any;

    const track = (method: string, record?: (req: any, res: any) => void) => {
        const original = monitor[method].bind(monitor);
        monitor[method] = (req: any, callback: (err: any, res: any) => void) => {
            pending++;
            return original(req, (err: any, res: any) => {
                try {
                    if (!err && record) record(req, res);
                } finally {
                    pending--;
                    callback(err, res);
                }
            });
        };
    };
    const show = opts.showSecrets ?? false;
    track("registerResource", (req, res) => {
        const secretPaths: string[] = [];
        const inputs = unwrapSecrets(req.getObject()?.toJavaScript() ?? {}, show, "", secretPaths);
        const registered = monitor.resources.get(res.getUrn());
        const state = registered?.state ?? {};
        resources.push({
            urn: res.getUrn(),
            id: registered?.id ?? undefined,
            type: req.getType(),
            name: req.getName(),
            parent: req.getParent() || undefined,
            custom: req.getCustom(),
            protect: req.getProtect() ?? false,
            retainOnDelete: req.getRetainondelete() ?? false,
            provider: req.getProvider() || undefined,
            dependencies: req.getDependenciesList(),
            inputs,
            secretPaths,
            state: unwrapSecrets(state, show, "", []),
        });
    });
    track("readResource");
    track("invoke");
    track("registerResourceOutputs");

    return {
        resources,
        async settled() {
            // Registrations chain (a child waits for its parent's URN), so wait until several idle turns in a row.
            let idle = 0;
            while (idle < 3) {
                await new Promise((r) => setImmediate(r));
                idle = pending === 0 ? idle + 1 : 0;
            }
        },
    };
}
