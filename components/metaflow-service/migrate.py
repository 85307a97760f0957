"""
The `migrate` container of every metadata-service task: runs the image's own migration tool (`/root/run_goose.py`,
which runs goose `up` over the image's migration files) before the service container starts.

Tasks that start together (prod runs two; a rolling upgrade starts new tasks next to the old ones) must not migrate at
once: upstream does not support concurrent migrations. They take turns on a PostgreSQL session advisory lock, taken
with `pg_try_advisory_lock` and retried, never with the blocking `pg_advisory_lock`: four migrations are goose
`NO TRANSACTION` files with `CREATE INDEX CONCURRENTLY`, which waits for every transaction that is open when it
starts, and a session blocked in `pg_advisory_lock` is such a transaction. The holder would wait for the waiter and the
waiter for the holder, which PostgreSQL does not report as a deadlock: the deployment would never settle. Between two
tries this script holds no transaction, so the holder's index builds proceed. Every wait is bounded: a task that cannot
reach the database or the lock in time exits non-zero, its service container never starts, and ECS starts a new task.
"""
import os
import subprocess
import sys
import time

import psycopg2

# "mfmi": the key of the advisory lock that serialises migrations (MIGRATION_LOCK_KEY in index.ts).
LOCK_KEY = 0x6D666D69
DATABASE_WAIT_SECONDS = 300
LOCK_WAIT_SECONDS = 900
RETRY_SECONDS = 2.0


def log(message: str) -> None:
    print(f"migrate: {message}", file=sys.stderr, flush=True)


def connect(deadline: float):
    env = os.environ
    while True:
        try:
            return psycopg2.connect(
                host=env["MF_METADATA_DB_HOST"],
                port=env["MF_METADATA_DB_PORT"],
                dbname=env["MF_METADATA_DB_NAME"],
                user=env["MF_METADATA_DB_USER"],
                password=env["MF_METADATA_DB_PSWD"],
                sslmode=env["MF_METADATA_DB_SSL_MODE"],
                sslrootcert=env.get("MF_METADATA_DB_SSL_ROOT_CERT"),
                connect_timeout=10,
            )
        except psycopg2.OperationalError as err:
            if "certificate" in str(err):
                # verify-full refused the server's certificate: a configuration or security problem, not a wait.
                sys.exit(f"migrate: the database's TLS certificate was refused: {err}")
            if time.monotonic() > deadline:
                sys.exit(f"migrate: metadata database unreachable for {DATABASE_WAIT_SECONDS} s: {err}")
            log(f"waiting for the database: {err}")
            time.sleep(5)


def main() -> int:
    conn = connect(time.monotonic() + DATABASE_WAIT_SECONDS)
    conn.autocommit = True
    cur = conn.cursor()
    deadline = time.monotonic() + LOCK_WAIT_SECONDS
    while True:
        cur.execute("SELECT pg_try_advisory_lock(%s)", (LOCK_KEY,))
        row = cur.fetchone()
        if row is not None and row[0]:
            break
        if time.monotonic() > deadline:
            log(f"another task has held the migration lock for {LOCK_WAIT_SECONDS} s; giving up so that ECS starts this task again")
            return 1
        time.sleep(RETRY_SECONDS)
    log("holding the migration lock; running run_goose.py")
    # The lock is released when this session ends, i.e. when the script exits.
    return subprocess.call([sys.executable, "/root/run_goose.py"])


if __name__ == "__main__":
    sys.exit(main())
