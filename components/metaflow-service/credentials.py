"""
The `db-credentials` container of every task that talks to the metadata database (the metadata service and the UI
backend): it gives the other containers of the task what they need to connect, and keeps it current.

- The RDS CA bundle: downloaded over HTTPS (the system's CAs verify truststore.pki.rds.amazonaws.com) from
  DB_CA_BUNDLE_URL to DB_CA_BUNDLE_FILE, which the service (MF_METADATA_DB_SSL_ROOT_CERT_PATH) and run_goose.py
  (MF_METADATA_DB_SSL_ROOT_CERT) use with sslmode=verify-full.
- The password: written to the libpq password file PGPASSFILE (mode 0600), from the ECS secret injected at start.
  The other containers set MF_METADATA_DB_PSWD to the empty string, which libpq reads as "no password", so it takes the
  password from this file on every new connection. RDS rotates the master password every 7 days while ECS injects
  secrets only at task start: every PROBE_SECONDS this script connects with the file's password, and when the database
  refuses it, reads the secret (DB_SECRET_ARN) from Secrets Manager with the task role and rewrites the file. Running
  connections are not affected by a password change; new ones use the new password within seconds, without a restart.
  The password is never printed.
"""
import json
import os
import sys
import time
import urllib.request

import psycopg2

PROBE_SECONDS = 5.0
AUTH_FAILURES = ("password authentication failed", "no password supplied")


def log(message: str) -> None:
    print(f"db-credentials: {message}", file=sys.stderr, flush=True)


def write_atomically(path: str, data: bytes) -> None:
    tmp = f"{path}.new"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


def escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace(":", "\\:")


def write_password(user: str, password: str) -> None:
    write_atomically(os.environ["PGPASSFILE"], f"*:*:*:{escape(user)}:{escape(password)}\n".encode())


def download_ca_bundle() -> None:
    url, path = os.environ["DB_CA_BUNDLE_URL"], os.environ["DB_CA_BUNDLE_FILE"]
    while True:
        try:
            with urllib.request.urlopen(url, timeout=20) as response:
                data = response.read()
            if b"BEGIN CERTIFICATE" not in data:
                raise ValueError("no PEM certificate in the response")
            write_atomically(path, data)
            log(f"CA bundle from {url} written to {path}")
            return
        except Exception as err:  # noqa: BLE001 - any failure is retried; the task stays unhealthy meanwhile
            log(f"cannot download the CA bundle from {url}: {err}; retrying")
            time.sleep(5)


def refused(user: str) -> bool:
    """Connects with the password file; True when the database refuses the password (not when it is unreachable)."""
    env = os.environ
    try:
        psycopg2.connect(
            host=env["MF_METADATA_DB_HOST"],
            port=env["MF_METADATA_DB_PORT"],
            dbname=env["MF_METADATA_DB_NAME"],
            user=user,
            password="",
            sslmode=env["MF_METADATA_DB_SSL_MODE"],
            sslrootcert=env["DB_CA_BUNDLE_FILE"],
            connect_timeout=5,
        ).close()
        return False
    except psycopg2.OperationalError as err:
        text = str(err)
        if any(marker in text for marker in AUTH_FAILURES):
            return True
        log(f"database unreachable: {text.strip()}")
        return False


def read_secret() -> "dict[str, str]":
    import boto3  # the image's (metaflow-service requirements.txt)

    # Older SDKs ignore the standard per-service endpoint variable; pass it on (unset in AWS: the regional endpoint).
    client = boto3.client("secretsmanager", region_name=os.environ["AWS_REGION"], endpoint_url=os.environ.get("AWS_ENDPOINT_URL_SECRETS_MANAGER") or None)
    value = client.get_secret_value(SecretId=os.environ["DB_SECRET_ARN"])
    return json.loads(value["SecretString"])


def main() -> None:
    user, password = os.environ["MF_METADATA_DB_USER"], os.environ["MF_METADATA_DB_PSWD"]
    download_ca_bundle()
    write_password(user, password)
    log("password file written; watching for password rotations")
    while True:
        time.sleep(PROBE_SECONDS)
        if not refused(user):
            continue
        try:
            secret = read_secret()
        except Exception as err:  # noqa: BLE001 - retried at the next probe
            log(f"the database refused the password and the secret cannot be read: {err}")
            continue
        if secret.get("password") == password:
            log("the database refused the password the secret holds; retrying")
            continue
        user, password = secret.get("username", user), secret["password"]
        write_password(user, password)
        log("the database refused the old password: password file rewritten from the rotated secret")


if __name__ == "__main__":
    main()
