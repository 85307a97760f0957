/**
 * A throw-away PostgreSQL (Debian's postgresql 15+) that accepts only TLS: a self-signed CA and a server certificate
 * for 127.0.0.1/localhost made with openssl, `hostssl` lines only in pg_hba.conf, listening on 127.0.0.1 and a free
 * port, data in a temporary folder. `stop()` stops the server and deletes the folder; call it in an `after` hook (it
 * is also run when the process exits, so a failed test leaves nothing behind).
 */
import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";

import { atExit, hasCommand, hasPythonModules } from "./env";

export const SYSTEM_PYTHON = "/usr/bin/python3";

/** The newest PostgreSQL server binaries Debian installed, or undefined. */
export function postgresBin(): string | undefined {
    const root = "/usr/lib/postgresql";
    if (!fs.existsSync(root)) return undefined;
    const versions = fs.readdirSync(root).filter((v) => /^\d+$/.test(v) && fs.existsSync(path.join(root, v, "bin", "initdb"))).sort((a, b) => Number(b) - Number(a));
    return versions.length ? path.join(root, versions[0], "bin") : undefined;
}

/** Why the metadata service cannot run here, or undefined when it can. */
export function serviceMissing(): string | undefined {
    if (!postgresBin()) return "PostgreSQL server binaries (apt-get install postgresql)";
    if (!hasCommand("openssl")) return "openssl";
    // What services/*/requirements.txt of v2.5.1 import (Metaflow itself comes from ../shared/vendor).
    const modules = ["aiohttp", "aiopg", "psycopg2", "packaging", "boto3", "click", "pyee", "throttler", "pygit2"];
    if (!hasPythonModules(SYSTEM_PYTHON, modules)) {
        return "python3-aiohttp python3-aiopg python3-psycopg2 python3-packaging python3-boto3 python3-click python3-pyee python3-throttler python3-pygit2 for /usr/bin/python3";
    }
    return undefined;
}

/** A TCP port nobody listens on at 127.0.0.1 now. */
export function freePort(): Promise<number> {
    return new Promise((resolve, reject) => {
        const srv = net.createServer();
        srv.once("error", reject);
        srv.listen(0, "127.0.0.1", () => {
            const { port } = srv.address() as net.AddressInfo;
            srv.close(() => resolve(port));
        });
    });
}

export interface Postgres {
    host: "127.0.0.1";
    port: number;
    /** The superuser's name and password (scram-sha-256). */
    user: string;
    password: string;
    /** The CA that signed the server certificate (what `verify-full` must be given). */
    caFile: string;
    /** A CA that did not sign it (a client given this one must refuse the server). */
    otherCaFile: string;
    dir: string;
    /** Runs SQL as the superuser over TLS (verify-full) in database `db`; returns psql's unaligned output. */
    sql(statement: string, db?: string): string;
    /** Stops the server (fast shutdown: sessions are closed); `start()` starts it again on the same port. */
    stopServer(): void;
    startServer(): void;
    /** Stops the server and deletes every file. */
    stop(): void;
}

function run(cmd: string, args: string[], opts: { asPostgres?: boolean; env?: NodeJS.ProcessEnv; input?: string } = {}): string {
    const asRoot = process.getuid?.() === 0 && opts.asPostgres;
    const [c, a] = asRoot ? ["runuser", ["-u", "postgres", "--", cmd, ...args]] : [cmd, args];
    const r = spawnSync(c, a, { env: opts.env ?? process.env, input: opts.input, encoding: "utf8", timeout: 60_000 });
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed (${r.status ?? r.signal}): ${r.stderr}${r.stdout}`);
    return r.stdout;
}

/** A CA and a server certificate for 127.0.0.1 and localhost, signed by it. */
function makeCertificates(dir: string): { ca: string; otherCa: string; cert: string; key: string } {
    const f = (n: string) => path.join(dir, n);
    const openssl = (...args: string[]) => execFileSync("openssl", args, { stdio: "pipe" });
    for (const ca of ["ca", "other-ca"]) {
        openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", `/CN=metaflow-platform test ${ca}`, "-keyout", f(`${ca}.key`), "-out", f(`${ca}.pem`));
    }
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1", "-keyout", f("server.key"), "-out", f("server.csr"));
    fs.writeFileSync(f("san.ext"), "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
    openssl("x509", "-req", "-in", f("server.csr"), "-CA", f("ca.pem"), "-CAkey", f("ca.key"), "-CAcreateserial", "-days", "2", "-extfile", f("san.ext"), "-out", f("server.pem"));
    return { ca: f("ca.pem"), otherCa: f("other-ca.pem"), cert: f("server.pem"), key: f("server.key") };
}

export async function startPostgres(): Promise<Postgres> {
    const bin = postgresBin();
    if (!bin) throw new Error("no PostgreSQL server binaries");
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mf-pg-"));
    const cleanup = () => fs.rmSync(dir, { recursive: true, force: true });
    const data = path.join(dir, "data");
    const user = "postgres";
    const password = `pw-${Math.random().toString(36).slice(2)}`;
    const port = await freePort();
    const certs = makeCertificates(dir);
    if (process.getuid?.() === 0) {
        // initdb refuses root: the cluster belongs to the postgres user.
        execFileSync("chown", ["-R", "postgres:postgres", dir]);
        fs.chmodSync(dir, 0o755);
    }
    fs.chmodSync(certs.key, 0o600);
    const pwfile = path.join(dir, "pwfile");
    fs.writeFileSync(pwfile, password, { mode: 0o644 });
    run(path.join(bin, "initdb"), ["-D", data, "-U", user, "--pwfile", pwfile, "--auth", "scram-sha-256", "-E", "UTF8", "--no-sync"], { asPostgres: true });
    fs.appendFileSync(
        path.join(data, "postgresql.conf"),
        [
            `listen_addresses = '127.0.0.1'`,
            `port = ${port}`,
            `unix_socket_directories = '${dir}'`,
            `ssl = on`,
            `ssl_cert_file = '${certs.cert}'`,
            `ssl_key_file = '${certs.key}'`,
            `fsync = off`,
            `max_connections = 100`,
            "",
        ].join("\n"),
    );
    // TLS only: no `local` and no `host` line, so a client without TLS is refused.
    fs.writeFileSync(path.join(data, "pg_hba.conf"), "hostssl all all 127.0.0.1/32 scram-sha-256\n");
    const pgCtl = (...args: string[]) => run(path.join(bin, "pg_ctl"), ["-D", data, "-l", path.join(dir, "server.log"), "-t", "30", ...args], { asPostgres: true });
    let running = false;
    const stopServer = () => {
        if (running) pgCtl("stop", "-m", "fast", "-w");
        running = false;
    };
    const startServer = () => {
        pgCtl("start", "-w");
        running = true;
    };
    const stop = () => {
        try {
            stopServer();
        } finally {
            cleanup();
        }
    };
    atExit(stop);
    startServer();
    const sql = (statement: string, db = "postgres") =>
        run(path.join(bin, "psql"), ["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-c", statement], {
            env: { ...process.env, PGHOST: "127.0.0.1", PGPORT: String(port), PGUSER: user, PGPASSWORD: password, PGDATABASE: db, PGSSLMODE: "verify-full", PGSSLROOTCERT: certs.ca, PGCONNECT_TIMEOUT: "5" },
        }).trim();
    return { host: "127.0.0.1", port, user, password, caFile: certs.ca, otherCaFile: certs.otherCa, dir, sql, stopServer, startServer, stop };
}
