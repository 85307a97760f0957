/**
 * Defect 7: no S3 trigger may fire on its own flow's writes. A real local run of the triggered flow (Metaflow 2.19.38,
 * the stack's profile, datastore on moto) writes with `metaflow.S3(run=self)` and its artifacts; every key it wrote is
 * matched against the trigger's EventBridge pattern. A prefix the plan accepts must match none of them; one it rejects
 * must be rejected naming the prefix.
 */
import { expect } from "chai";

import { runStack } from "../../harness";
import { flowSource, MetaflowWorkspace, withMetaflow } from "../support/metaflow";

/** EventBridge's match of an S3 "Object Created" pattern with `{prefix}` key filters (the only form triggers use). */
function patternMatches(pattern: any, bucket: string, key: string): boolean {
    const d = pattern.detail;
    return d.bucket.name.includes(bucket) && d.object.key.some((f: { prefix: string }) => key.startsWith(f.prefix));
}

describe("S3 triggers and the keys a run of their flow writes", function () {
    this.timeout(120000);
    const workspace = withMetaflow();
    let ws: MetaflowWorkspace;
    let written: string[] = [];
    let bucket = "";

    before(async function () {
        ws = workspace();
        const profile = (await runStack("dev")).outputs.metaflowConfig as Record<string, string>;
        bucket = new URL(profile.METAFLOW_DATASTORE_SYSROOT_S3).host;
        ws.writeProfile("dev", profile);
        ws.seedAws({ buckets: [bucket], queues: [] });
        const body = ["        from metaflow import S3", "        with S3(run=self) as s3:", '            s3.put("result.csv", "a,b\\n")'].join("\n");
        ws.writeFile("ingest.py", flowSource("IngestFlow", { body }));
        // The datastore is the profile's (S3, here moto); metadata stays local, as the run needs no service.
        const r = ws.run(["ingest.py", "--no-pylint", "--metadata=local", "run"], ws.env("dev"), 90000);
        expect(r.status, r.stderr + r.stdout).to.equal(0);
        const code = `import boto3, json; print(json.dumps([o['Key'] for o in boto3.client('s3').list_objects_v2(Bucket='${bucket}')['Contents']]))`;
        written = JSON.parse(ws.run(["-c", code], ws.env("dev")).stdout);
    });
    it("the run wrote under data/IngestFlow/ (metaflow.S3) and metaflow/IngestFlow/ (artifacts)", () => {
        expect(written.some((k) => k.startsWith("data/IngestFlow/"))).to.equal(true);
        expect(written.some((k) => k.startsWith("metaflow/IngestFlow/"))).to.equal(true);
    });

    for (const s3Prefix of ["data/", "data/IngestFlow/", "d", "metaflow/", "incoming/", "data/incoming/"]) {
        it(`a trigger of IngestFlow on ${s3Prefix} never fires on the run's own writes`, async () => {
            let run;
            try {
                run = await runStack("dev", { set: { triggers: [{ name: "ingest", flow: "IngestFlow", s3Prefix, keyParameter: "key" }] } });
            } catch (err) {
                expect((err as Error).message).to.include(`triggers[0].s3Prefix`);
                expect((err as Error).message).to.include(JSON.stringify(s3Prefix));
                return;
            }
            const rule = run.one("aws:cloudwatch/eventRule:EventRule", "-trigger-ingest-rule");
            const pattern = JSON.parse(rule.inputs.eventPattern);
            const firing = written.filter((k) => patternMatches(pattern, bucket, k));
            expect(firing, `keys the run wrote that start IngestFlow again`).to.deep.equal([]);
        });
    }
});
