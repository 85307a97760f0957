import { expect } from "chai";

import { effectiveTags, fromCrossGuard, fromPlan, fromPreview, fromStackExport, ofType, referenced, referrers, refersTo, ResourceView } from "../../policies/lib/view";
import { T } from "../../policies/lib/types";
import { looksLikeSecretName } from "../../policies/lib/secrets";

const PROVIDER_URN = "urn:pulumi:dev::p::pulumi:providers:aws::main";

describe("resource view adapters", () => {
    it("reads CrossGuard validation arguments, with parent, provider and property dependencies", () => {
        const v = fromCrossGuard({
            type: T.bucketSse,
            urn: "urn:sse",
            name: "sse",
            props: { bucket: undefined },
            opts: { protect: true, parent: "urn:component" },
            provider: { type: "pulumi:providers:aws", urn: PROVIDER_URN, props: { defaultTags: { tags: { owner: "x" } } } },
            propertyDependencies: { bucket: [{ urn: "urn:bucket" }] },
        });
        expect(v).to.deep.include({ protect: true, parent: "urn:component", propertyDependencies: { bucket: ["urn:bucket"] } });
        expect(effectiveTags(v)).to.deep.equal({ owner: "x" });
        // In a preview the bucket id is unknown: the link comes from the engine's property dependencies.
        expect(refersTo(v, "bucket", { urn: "urn:bucket", type: T.bucket, name: "b", props: {}, protect: false })).to.equal(true);
        expect(refersTo(v, "bucket", { urn: "urn:other", type: T.bucket, name: "o", props: {}, protect: false })).to.equal(false);
    });

    it("reads the plan's recorded resources, resolving `urn::id` provider references and stack outputs", () => {
        const views = fromPlan(
            [
                { urn: PROVIDER_URN, type: "pulumi:providers:aws", name: "main", inputs: { defaultTags: '{"tags":{"owner":"a","project":"p"}}' } },
                { urn: "urn:lg", type: T.logGroup, name: "lg", inputs: { tags: { project: "q" } }, provider: `${PROVIDER_URN}::0a1b` },
            ],
            { url: "x" },
            "dev",
        );
        expect(effectiveTags(views[1])).to.deep.equal({ owner: "a", project: "q" });
        expect(views[2]).to.deep.include({ type: T.stack, props: { url: "x" } });
    });

    it("reads a stack export: secrets masked, stack outputs on the Stack resource, deleted resources skipped", () => {
        const views = fromStackExport({
            deployment: {
                resources: [
                    { urn: "urn:pulumi:s::p::pulumi:pulumi:Stack::p-s", type: "pulumi:pulumi:Stack", outputs: { pw: { "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", ciphertext: "x" } } },
                    { urn: "urn:pulumi:s::p::aws:s3/bucket:Bucket::b", type: T.bucket, id: "b-1", inputs: { bucket: "b-1" }, protect: true },
                    { urn: "urn:pulumi:s::p::aws:s3/bucket:Bucket::old", type: T.bucket, inputs: {}, delete: true },
                ],
            },
        });
        expect(views.map((v) => v.name)).to.deep.equal(["p-s", "b"]);
        expect(views[0].props).to.deep.equal({ pw: "[secret]" });
        expect(views[1]).to.deep.include({ id: "b-1", protect: true });
    });

    it("reads `pulumi preview --json` steps, skipping deletes", () => {
        const views = fromPreview({
            steps: [
                { op: "create", urn: "urn:pulumi:s::p::aws:kms/key:Key::k", newState: { urn: "urn:pulumi:s::p::aws:kms/key:Key::k", type: T.kmsKey, inputs: { enableKeyRotation: true } } },
                { op: "delete", urn: "urn:pulumi:s::p::aws:kms/key:Key::gone", oldState: { type: T.kmsKey } },
            ],
        });
        expect(views).to.have.length(1);
        expect(views[0]).to.deep.include({ name: "k", type: T.kmsKey, props: { enableKeyRotation: true } });
    });

    it("tells credential names from names that merely point to one", () => {
        for (const n of ["MF_METADATA_DB_PSWD", "DB_PASSWORD", "METAFLOW_SERVICE_AUTH_KEY", "apiKey", "githubToken", "SECRET"]) expect(looksLikeSecretName(n), n).to.equal(true);
        for (const n of ["DB_SECRET_ARN", "TOKENIZERS_PARALLELISM", "secretName", "MF_METADATA_DB_USER", "KEY_ID", "serviceUrl"]) expect(looksLikeSecretName(n), n).to.equal(false);
    });

    it("the indexed lookups (ofType, referrers, referenced) give exactly what a scan with refersTo gives, in list order", () => {
        const v = (type: string, name: string, props: Record<string, any>, extra: Partial<ResourceView> = {}): ResourceView => ({ urn: `urn:${name}`, type, name, props, protect: false, outputs: { id: `${name}-id`, arn: `arn:${name}` }, ...extra });
        const buckets = [v(T.bucket, "b1", { bucket: "one" }), v(T.bucket, "b2", {}, { id: "two" }), v(T.bucket, "b3", {})];
        const configs = [
            v(T.bucketVersioning, "v1", { bucket: "one" }),
            v(T.bucketVersioning, "v2", { bucket: "arn:b2" }),
            v(T.bucketVersioning, "v3", { bucket: "unknown" }, { propertyDependencies: { bucket: ["urn:b3"] } }),
            v(T.bucketVersioning, "v4", { bucket: ["two", "one", "two"] }),
            v(T.bucketVersioning, "v5", { bucket: "b2-id" }),
        ];
        const all = [configs[3], ...buckets, configs[0], configs[2], v(T.bucketSse, "s", { bucket: "one" }), configs[1], configs[4]];
        expect(ofType(all, T.bucketVersioning)).to.deep.equal(all.filter((r) => r.type === T.bucketVersioning));
        expect(ofType(all, T.bucketSse, T.bucket)).to.deep.equal(all.filter((r) => r.type === T.bucketSse || r.type === T.bucket));
        for (const b of buckets) {
            const scan = ofType(all, T.bucketVersioning).filter((c) => refersTo(c, "bucket", b));
            expect(referrers(all, T.bucketVersioning, "bucket", b), b.name).to.deep.equal(scan);
        }
        expect(referrers(all, T.bucketVersioning, "bucket", buckets[1]).map((r) => r.name)).to.deep.equal(["v4", "v2", "v5"]);
        for (const c of configs) expect(referenced(c, "bucket", buckets), c.name).to.deep.equal(buckets.filter((b) => refersTo(c, "bucket", b)));
        // A list that grows is indexed again.
        all.push(v(T.bucketVersioning, "v6", { bucket: "one" }));
        expect(referrers(all, T.bucketVersioning, "bucket", buckets[0]).map((r) => r.name)).to.deep.equal(["v4", "v1", "v6"]);
    });
});
