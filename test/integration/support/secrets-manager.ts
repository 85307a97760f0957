/**
 * A local stand-in for the one Secrets Manager call the platform's containers make (`GetSecretValue`, JSON 1.1
 * protocol, as boto3 sends it), on 127.0.0.1 and a free port. It answers only for the secret it holds, and counts calls.
 */
import * as http from "http";
import * as net from "net";

export interface FakeSecretsManager {
    endpoint: string;
    /** What GetSecretValue returns as SecretString (JSON text of this object). */
    value: Record<string, string>;
    calls: number;
    close(): Promise<void>;
}

export function startSecretsManager(secretArn: string, value: Record<string, string>): Promise<FakeSecretsManager> {
    const state = { value, calls: 0, version: 1 };
    const server = http.createServer((req, res) => {
        let body = "";
        req.on("data", (d) => (body += d));
        req.on("end", () => {
            const target = String(req.headers["x-amz-target"] ?? "");
            const send = (status: number, payload: unknown) => {
                res.writeHead(status, { "content-type": "application/x-amz-json-1.1" });
                res.end(JSON.stringify(payload));
            };
            let secretId: unknown;
            try {
                secretId = JSON.parse(body || "{}").SecretId;
            } catch {
                return send(400, { __type: "InvalidRequestException", message: "bad JSON" });
            }
            if (target !== "secretsmanager.GetSecretValue") return send(400, { __type: "InvalidRequestException", message: `unsupported ${target}` });
            if (!String(req.headers.authorization ?? "").startsWith("AWS4-HMAC-SHA256")) return send(400, { __type: "MissingAuthenticationToken", message: "unsigned" });
            if (secretId !== secretArn) return send(400, { __type: "ResourceNotFoundException", message: `no secret ${String(secretId)}` });
            state.calls++;
            send(200, { ARN: secretArn, Name: secretArn.split(":secret:")[1], VersionId: `v${state.version}`, SecretString: JSON.stringify(state.value), VersionStages: ["AWSCURRENT"], CreatedDate: 1_700_000_000 });
        });
    });
    return new Promise((resolve) => {
        server.listen(0, "127.0.0.1", () => {
            const { port } = server.address() as net.AddressInfo;
            resolve({
                endpoint: `http://127.0.0.1:${port}`,
                get value() {
                    return state.value;
                },
                set value(v: Record<string, string>) {
                    state.value = v;
                    state.version++;
                },
                get calls() {
                    return state.calls;
                },
                close: () => new Promise<void>((r) => server.close(() => r())),
            } as FakeSecretsManager);
        });
    });
}
