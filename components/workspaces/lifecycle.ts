/**
 * The JupyterLab lifecycle configuration of the workspaces: a bash script that runs on every start of an engineer's
 * JupyterLab (the domain's *built-in* lifecycle configuration, which "always runs when a space starts",
 * docs.aws.amazon.com/sagemaker/latest/dg/studio-lifecycle-configurations.html), as the space's user with the
 * workspace execution role. It
 * 1. fetches the Metaflow profile from Parameter Store (the SecureString under the platform key) and writes it to
 *    `~/.metaflowconfig/config_<stack>.json` (mode 600, replaced atomically; `config.json` links to it when the engineer
 *    has no default profile of their own, not even a link to a profile that is gone). The profile is fetched at
 *    start: it is never in the script, the domain, the plan or an output;
 * 2. installs the platform's Metaflow version for the user when another one (or none) is installed;
 * 3. copies the platform's templates into `~/metaflow-templates`, never over a file the engineer already has (keys
 *    ending in `/`, the folder markers the S3 console's "Create folder" makes, are not files and are skipped).
 * A failed step is logged and skipped (the workspace still opens; the next start retries): a lifecycle configuration
 * that fails keeps JupyterLab from starting at all.
 *
 * Pure module: no Pulumi import. The integration suite runs the script with bash against moto's SSM and S3.
 */

/** What the script needs; every value is validated before it is written into the script. */
export interface LifecycleInputs {
    stack: string;
    region: string;
    /** `/<namePrefix>/metaflow/profile`. */
    profileParameterName: string;
    metaflowVersion: string;
    /** Where the templates are: `s3://<bucket>/<prefix>` (prefix ends with `/`). */
    templatesBucket: string;
    templatesPrefix: string;
    pipIndexUrl?: string;
}

/** AWS's limit on `StudioLifecycleConfigContent`: 16384 characters of base64 (botocore), about 12 KB of script. */
export const LIFECYCLE_CONTENT_MAX = 16384;

const SAFE: Record<keyof LifecycleInputs, RegExp> = {
    stack: /^[A-Za-z0-9_.-]{1,100}$/,
    region: /^[a-z]{2}(-[a-z]+)+-\d$/,
    profileParameterName: /^\/[A-Za-z0-9_.\/-]{1,1010}$/,
    metaflowVersion: /^\d+\.\d+\.\d+$/,
    templatesBucket: /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/,
    templatesPrefix: /^[A-Za-z0-9_.\/-]{1,900}\/$/,
    pipIndexUrl: /^https:\/\/[A-Za-z0-9.-]+(:\d{1,5})?(\/[^\s'"`$\\]*)?$/,
};

/** Values that would not be safe inside single quotes in bash, by field. */
export function lifecycleInputProblems(i: LifecycleInputs): string[] {
    return (Object.keys(SAFE) as Array<keyof LifecycleInputs>).filter((k) => i[k] !== undefined && !SAFE[k].test(String(i[k]))).map((k) => `${k}: ${JSON.stringify(i[k])} is not allowed in the lifecycle script`);
}

const FETCH_PROFILE = `import json, os, sys, tempfile
import boto3
name, target = sys.argv[1], sys.argv[2]
value = boto3.client("ssm").get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"]
json.loads(value)
fd, tmp = tempfile.mkstemp(dir=os.path.dirname(target))
try:
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(value)
    os.replace(tmp, target)
except BaseException:
    os.unlink(tmp)
    raise`;

const COPY_TEMPLATES = `import os, sys
import boto3
bucket, prefix, dest = sys.argv[1], sys.argv[2], os.path.realpath(sys.argv[3])
s3 = boto3.client("s3")
for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
    for obj in page.get("Contents", []):
        if obj["Key"].endswith("/"):
            continue
        path = os.path.realpath(os.path.join(dest, obj["Key"][len(prefix):]))
        if not path.startswith(dest + os.sep) or os.path.exists(path):
            continue
        os.makedirs(os.path.dirname(path), exist_ok=True)
        s3.download_file(bucket, obj["Key"], path)`;

/** The script, for the given inputs (throws on an input that is not safe to embed). */
export function lifecycleScript(i: LifecycleInputs): string {
    const problems = lifecycleInputProblems(i);
    if (problems.length) throw new Error(`lifecycle configuration: ${problems.join("; ")}`);
    const index = i.pipIndexUrl ? ` --index-url '${i.pipIndexUrl}'` : "";
    return `#!/bin/bash
# Metaflow workspace of stack ${i.stack}: written by the platform (components/workspaces/lifecycle.ts).
# Runs on every JupyterLab start with the workspace execution role; a failed step is logged and retried next start.
set -uo pipefail
umask 077
export AWS_DEFAULT_REGION='${i.region}'
CONFIG_DIR="$HOME/.metaflowconfig"
log() { echo "metaflow-workspace: $*" >&2; }

write_profile() {
    mkdir -p "$CONFIG_DIR" && chmod 700 "$CONFIG_DIR" || return 1
    python3 - '${i.profileParameterName}' "$CONFIG_DIR/config_${i.stack}.json" <<'PY' || return 1
${FETCH_PROFILE}
PY
    [ -e "$CONFIG_DIR/config.json" ] || [ -L "$CONFIG_DIR/config.json" ] || ln -s 'config_${i.stack}.json' "$CONFIG_DIR/config.json"
}

install_metaflow() {
    local current
    current=$(python3 -c 'import importlib.metadata as m; print(m.version("metaflow"))' 2>/dev/null || true)
    [ "$current" = '${i.metaflowVersion}' ] && return 0
    python3 -m pip install --user --quiet --disable-pip-version-check${index} 'metaflow==${i.metaflowVersion}'
}

copy_templates() {
    python3 - '${i.templatesBucket}' '${i.templatesPrefix}' "$HOME/metaflow-templates" <<'PY'
${COPY_TEMPLATES}
PY
}

write_profile || log "could not write the Metaflow profile from ${i.profileParameterName}"
install_metaflow || log "could not install metaflow ${i.metaflowVersion}"
copy_templates || log "could not copy the templates from s3://${i.templatesBucket}/${i.templatesPrefix}"
exit 0
`;
}

/** The script as the API takes it (base64), refused when over AWS's limit. */
export function lifecycleContent(i: LifecycleInputs): string {
    const content = Buffer.from(lifecycleScript(i), "utf8").toString("base64");
    if (content.length > LIFECYCLE_CONTENT_MAX) throw new Error(`lifecycle configuration: ${content.length} characters of base64; SageMaker accepts ${LIFECYCLE_CONTENT_MAX}`);
    return content;
}
