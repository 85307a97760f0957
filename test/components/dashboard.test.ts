/**
 * The stack's CloudWatch dashboard: the body is valid JSON in CloudWatch's dashboard format, within its documented
 * limits, and every metric names this stack's resources (checked against the resources of the planned stacks).
 */
import { expect } from "chai";

import { dashboardBody, dashboardWidgets, DashboardSpec, EXECUTION_METRICS, logWidgetQuery, MAX_METRICS_PER_WIDGET, MAX_WIDGETS, Widget } from "../../components/monitoring/dashboard-body";
import { PlatformDashboard, validatePlatformDashboardArgs } from "../../components/monitoring/dashboard";
import { deliveryNamespace } from "../../components/monitoring/pipeline-events-rules";
import { freeStorageThresholdBytes } from "../../components/monitoring/rules";
import { MOCK_ACCOUNT } from "../../offline/mocks";
import { FIXTURES, policyOf, runComponent, runStack, StackRun } from "../harness";

const DASHBOARD = "aws:cloudwatch/dashboard:Dashboard";

/** Every metric row of the body: explicit metrics as [namespace, name, {dimensions}], SEARCH expressions as text. */
function metricsOf(widgets: Widget[]): { explicit: Array<{ namespace: string; name: string; dimensions: Record<string, string>; options: Record<string, unknown> }>; searches: string[] } {
    const explicit: Array<{ namespace: string; name: string; dimensions: Record<string, string>; options: Record<string, unknown> }> = [];
    const searches: string[] = [];
    for (const w of widgets) {
        for (const row of w.properties.metrics ?? []) {
            if (typeof row[0] === "object") {
                searches.push(String((row[0] as { expression: string }).expression));
                continue;
            }
            const last = row[row.length - 1];
            const options = typeof last === "object" ? (last as Record<string, unknown>) : {};
            const parts = (typeof last === "object" ? row.slice(0, -1) : row) as string[];
            expect(parts.length % 2, `${parts.join(",")}: dimension names and values come in pairs`).to.equal(0);
            const dimensions: Record<string, string> = {};
            for (let i = 2; i < parts.length; i += 2) dimensions[parts[i]] = parts[i + 1];
            explicit.push({ namespace: parts[0], name: parts[1], dimensions, options });
        }
    }
    return { explicit, searches };
}

function bodyOf(run: StackRun): { widgets: Widget[] } {
    const text = run.one(DASHBOARD).inputs.dashboardBody as string;
    expect(text).to.be.a("string");
    return JSON.parse(text);
}

/** The names the dashboard must use, from the stack's own resources. */
function realNames(run: StackRun) {
    return {
        lb: run.one("aws:lb/loadBalancer:LoadBalancer", "-metadata-alb").state.arnSuffix as string,
        tg: run.one("aws:lb/targetGroup:TargetGroup", "-metadata-tg").state.arnSuffix as string,
        cluster: run.one("aws:ecs/cluster:Cluster", "-metadata-cluster").state.name as string,
        service: run.one("aws:ecs/service:Service", "-metadata-service").state.name as string,
        queues: run.ofType("aws:batch/jobQueue:JobQueue").map((q) => q.state.name as string),
        db: run.ofType("aws:rds/instance:Instance").map((d) => d.state.identifier as string),
        // Served models' endpoints, as the planned alarms name them (flows create the endpoints themselves).
        endpoints: [...new Set(run.ofType("aws:cloudwatch/metricAlarm:MetricAlarm").filter((a) => a.inputs.namespace === "AWS/SageMaker").map((a) => JSON.stringify(a.inputs.dimensions)))].map((d) => JSON.parse(d) as Record<string, string>),
    };
}

/** The settings the dashboard reads, from the stack's outputs and resources (not from the code under test). */
function settingsOf(run: StackRun) {
    const budget = run.one("aws:budgets/budget:Budget");
    const db = run.ofType("aws:rds/instance:Instance")[0];
    return {
        region: run.outputs.region as string,
        stateMachinePrefix: (run.outputs.metaflowConfig as Record<string, string>).METAFLOW_SFN_STATE_MACHINE_PREFIX,
        monthlyBudgetUsd: Number(budget.inputs.limitAmount),
        storageGb: db?.inputs.allocatedStorage as number | undefined,
        namePrefix: (budget.inputs.name as string).replace(/-monthly$/, ""),
    };
}

function checkStack(run: StackRun) {
    const config = settingsOf(run);
    const body = bodyOf(run);
    const names = realNames(run);
    const { explicit, searches } = metricsOf(body.widgets);
    const lb = { LoadBalancer: names.lb };
    const tg = { LoadBalancer: names.lb, TargetGroup: names.tg };
    const expected: Record<string, Record<string, Record<string, string>>> = {
        "AWS/ApplicationELB": { RequestCount: lb, HTTPCode_ELB_5XX_Count: lb, HTTPCode_Target_5XX_Count: tg, TargetResponseTime: tg, HealthyHostCount: tg, UnHealthyHostCount: tg },
        "AWS/ECS": { CPUUtilization: { ClusterName: names.cluster, ServiceName: names.service }, MemoryUtilization: { ClusterName: names.cluster, ServiceName: names.service } },
        "AWS/Billing": { EstimatedCharges: { Currency: "USD" } },
        ...(names.endpoints.length ? { "AWS/SageMaker": Object.fromEntries(["Invocations", "Invocation4XXErrors", "Invocation5XXErrors", "ModelLatency"].map((m) => [m, names.endpoints[0]])) } : {}),
        ...(names.db.length ? { "AWS/RDS": { CPUUtilization: { DBInstanceIdentifier: names.db[0] }, DatabaseConnections: { DBInstanceIdentifier: names.db[0] }, FreeStorageSpace: { DBInstanceIdentifier: names.db[0] } } } : {}),
    };
    for (const m of explicit) {
        expect(expected, `${m.namespace} is not a namespace the dashboard should graph`).to.have.property(m.namespace);
        expect(expected[m.namespace], `${m.namespace} ${m.name}`).to.have.property(m.name);
        expect(m.dimensions, `${m.namespace} ${m.name}`).to.deep.equal(expected[m.namespace][m.name]);
    }
    // Every expected metric is graphed.
    for (const [ns, metrics] of Object.entries(expected)) for (const name of Object.keys(metrics)) expect(explicit.some((m) => m.namespace === ns && m.name === name), `${ns} ${name}`).to.equal(true);
    expect(explicit.find((m) => m.namespace === "AWS/Billing")!.options.region, "billing metrics live in us-east-1 only").to.equal("us-east-1");
    // Latency percentiles.
    expect(explicit.filter((m) => m.name === "TargetResponseTime").map((m) => m.options.stat)).to.deep.equal(["p50", "p90", "p99"]);

    // Executions: each execution metric, restricted to this stack's state machine ARNs.
    const arnPrefix = `arn:aws:states:${config.region}:${MOCK_ACCOUNT}:stateMachine:${config.stateMachinePrefix}_`;
    for (const metric of [...EXECUTION_METRICS.started, ...EXECUTION_METRICS.failed]) {
        expect(searches, metric).to.include(`SEARCH('{AWS/States,StateMachineArn} MetricName="${metric}" "${arnPrefix}"', 'Sum', 300)`);
    }
    // Batch: one search per queue of the stack, by its real name.
    const batch = searches.filter((s) => s.includes("{AWS/Batch,JobQueueName}"));
    expect(batch).to.have.members(names.queues.map((q) => `SEARCH('{AWS/Batch,JobQueueName} JobQueueName="${q}"', 'Sum', 300)`));
    expect(names.queues.length).to.be.at.least(2);

    // Jobs per engineer and per flow: the namespace and dimensions of the stack's planned metric filters.
    for (const metric of ["JobsByEngineer", "JobsByFlow"]) {
        const filter = run.ofType("aws:cloudwatch/logMetricFilter:LogMetricFilter").find((f) => (f.inputs.metricTransformation as { name: string }).name === metric);
        expect(filter, metric).to.not.equal(undefined);
        const t = filter!.inputs.metricTransformation as { namespace: string; dimensions: Record<string, string> };
        expect(searches, metric).to.include(`SEARCH('{${[t.namespace, ...Object.keys(t.dimensions)].join(",")}} MetricName="${metric}"', 'Sum', 86400)`);
    }

    checkDelivery(run, body.widgets, searches, config.namePrefix);

    // Budget line at the stack's budget; free-storage line at the alarm's threshold.
    const annotations = body.widgets.flatMap((w) => ((w.properties.annotations as any)?.horizontal ?? []) as Array<{ value: number; label: string }>);
    expect(annotations.map((a) => a.value)).to.include(config.monthlyBudgetUsd);
    if (names.db.length) expect(annotations.map((a) => a.value)).to.include(freeStorageThresholdBytes(config.storageGb!));
}

/**
 * The Delivery row: the Deployments search names the planned metric filters' namespace and dimension, the lead-time
 * search the namespace CI writes (the deploy role's one namespace, where the stack has the role), and every Logs
 * Insights widget is a planned saved query on exactly the log groups that query is saved with.
 */
function checkDelivery(run: StackRun, widgets: Widget[], searches: string[], namePrefix: string) {
    const filters = run.ofType("aws:cloudwatch/logMetricFilter:LogMetricFilter").filter((f) => (f.inputs.metricTransformation as { name: string }).name === "Deployments");
    expect(filters, "the two Deployments filters").to.have.length(2);
    for (const f of filters) {
        const t = f.inputs.metricTransformation as { namespace: string; dimensions: Record<string, string> };
        expect(searches).to.include(`SEARCH('{${[t.namespace, ...Object.keys(t.dimensions)].join(",")}} MetricName="Deployments"', 'Sum', 604800)`);
    }
    const delivery = deliveryNamespace(namePrefix);
    const deploy = run.ofType("aws:iam/rolePolicy:RolePolicy").find((r) => r.name.endsWith("-flow-deploy-policy"));
    if (deploy) {
        const st = policyOf(deploy).Statement.find((x: any) => [].concat(x.Action).includes("cloudwatch:PutMetricData" as never));
        expect(st.Condition.StringEquals["cloudwatch:namespace"], "CI writes where the dashboard reads").to.equal(delivery);
    }
    for (const stat of ["p50", "Maximum"]) expect(searches).to.include(`SEARCH('{${delivery},Flow} MetricName="LeadTimeSeconds"', '${stat}', 604800)`);
    // Weekly graphs show twelve weeks whatever range the dashboard opens on.
    const weekly = widgets.filter((w) => (w.properties.metrics ?? []).some((row) => JSON.stringify(row).includes("604800")));
    expect(weekly).to.have.length(2);
    for (const w of weekly) expect(w.properties.start, String(w.properties.title)).to.equal("-P84D");

    const saved = run.ofType("aws:cloudwatch/queryDefinition:QueryDefinition");
    const logs = widgets.filter((w) => w.type === "log");
    expect(logs.map((w) => w.properties.title)).to.have.length(4);
    for (const w of logs) {
        const query = String(w.properties.query);
        const match = saved.find((q) => query === logWidgetQuery(q.inputs.logGroupNames as string[], q.inputs.queryString as string));
        expect(match, `${w.properties.title}: a planned saved query on its log groups`).to.not.equal(undefined);
        expect(w.properties).to.deep.include({ region: run.outputs.region, view: "table" });
    }
    const shown = logs.map((w) => saved.find((q) => String(w.properties.query).endsWith(q.inputs.queryString as string))!.inputs.name);
    expect(shown).to.have.members(["change-failure-rate-per-flow", "time-to-restore-per-flow", "cost-per-flow-weekly", "cost-per-engineer-weekly"].map((q) => `${namePrefix}/${q}`));
    // Change failure and restore read both the deployments and the executions.
    const cfr = saved.find((q) => q.inputs.name === `${namePrefix}/change-failure-rate-per-flow`)!;
    expect(cfr.inputs.logGroupNames).to.deep.equal([`/aws/events/${namePrefix}-deployments`, `/aws/events/${namePrefix}-pipelines`]);
}

describe("PlatformDashboard", () => {
    for (const stack of ["dev", "staging", "prod"]) {
        it(`${stack}: every metric is this stack's, in its namespace with its dimensions`, async () => {
            checkStack(await runStack(stack));
        });
    }
    for (const stack of ["dev", "prod"]) {
        it(`${stack} with serving: the Model serving metrics name the endpoint the planned alarms watch`, async () => {
            const run = await runStack(stack, { set: { serving: { models: ["churn"], approverRoleNames: ["ml-model-reviewers"] } } });
            expect(realNames(run).endpoints).to.deep.equal([{ EndpointName: `${settingsOf(run).namePrefix}-churn`, VariantName: "AllTraffic" }]);
            checkStack(run);
        });
    }

    it("is a component with the dashboard as its child, named after the stack", async () => {
        const run = await runStack("dev");
        const component = run.one("metaflow:observability:PlatformDashboard");
        const dashboard = run.one(DASHBOARD);
        expect(dashboard.parent).to.equal(component.urn);
        expect(dashboard.inputs.dashboardName).to.equal(`${settingsOf(run).namePrefix}-platform`);
        expect((run.outputs.monitoring as { dashboardUrl: string }).dashboardUrl).to.equal(`https://us-east-1.console.aws.amazon.com/cloudwatch/home?region=us-east-1#dashboards/dashboard/${dashboard.inputs.dashboardName}`);
    });

    it("stays within CloudWatch's limits: widgets, metrics per widget, a 24-unit grid without overlaps", async () => {
        for (const stack of ["dev", "prod"]) {
            const { widgets } = bodyOf(await runStack(stack));
            expect(widgets.length).to.be.within(1, MAX_WIDGETS);
            const cells = new Set<string>();
            for (const w of widgets) {
                expect((w.properties.metrics ?? []).length).to.be.at.most(MAX_METRICS_PER_WIDGET);
                expect(w.x + w.width, "grid is 24 wide").to.be.at.most(24);
                for (let x = w.x; x < w.x + w.width; x++) for (let y = w.y; y < w.y + w.height; y++) {
                    expect(cells.has(`${x},${y}`), `widget ${w.properties.title} overlaps another`).to.equal(false);
                    cells.add(`${x},${y}`);
                }
            }
        }
    });

    it("leaves the database out without a dedicated one, and refuses values it cannot quote or scope", () => {
        const spec: DashboardSpec = { title: "t", region: "eu-west-1", account: "1", stateMachinePrefix: "mf", queues: [{ id: "cpu", name: "q" }], service: { loadBalancer: "app/a/1", targetGroup: "targetgroup/t/2", cluster: "c", service: "s" } };
        const namespaces = metricsOf(dashboardWidgets(spec)).explicit.map((m) => m.namespace);
        expect(namespaces).not.to.include("AWS/RDS").and.not.to.include("AWS/Billing");
        expect(() => dashboardBody({ ...spec, queues: [{ id: "cpu", name: 'q"x' }] })).to.throw("cannot be quoted");
        // No Delivery row without the pipeline event log's namespace; none either with it but without the log groups.
        expect(dashboardWidgets(spec).some((w) => w.type === "log")).to.equal(false);
        expect(dashboardWidgets({ ...spec, pipelineNamespace: "Metaflow/Pipelines/p" }).some((w) => w.type === "log")).to.equal(false);
        expect(() => logWidgetQuery(["/aws/events/it's"], "fields @message")).to.throw("cannot be quoted");
        expect(logWidgetQuery(["/a", "/b"], "fields @message")).to.equal("SOURCE '/a' | SOURCE '/b' | fields @message");
        const args = { namePrefix: "mf dev", title: "t", region: "us-east-1", stateMachinePrefix: "", queueNames: {}, service: { loadBalancerArnSuffix: "", targetGroupArnSuffix: "", clusterName: "", serviceName: "" }, monthlyBudgetUsd: 0 };
        const problems = validatePlatformDashboardArgs(args);
        expect(problems.join("\n")).to.contain("namePrefix").and.contain("stateMachinePrefix").and.contain("queueNames").and.contain("monthlyBudgetUsd");
        return runComponent(() => new PlatformDashboard("bad", args)).then(
            () => expect.fail("a dashboard with invalid arguments was built"),
            (e: Error) => expect(e.message).to.contain("PlatformDashboard bad:"),
        );
    });

    it("a stack without monitoring has no dashboard", async () => {
        const run = await runStack("dev", { set: { monitoring: false }, references: FIXTURES });
        expect(run.ofType(DASHBOARD)).to.have.length(0);
    });
});
