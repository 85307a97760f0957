"""Checks `aws <service> <command> --options` lines against botocore's service models, as the AWS CLI maps them:
the command is the operation's name in kebab case (botocore.xform_name), each option a member of its input shape
(`--no-<flag>` negates a boolean), `wait <waiter>` a waiter of the service. Reads a JSON list of command lines on
stdin and prints a JSON list of problems."""
import json
import sys

import botocore.session
from botocore import xform_name

# Commands the AWS CLI adds on top of the service models (awscli/customizations), not checked here.
CUSTOMIZATIONS = {("ecr", "get-login-password"), ("s3", "cp"), ("s3", "ls"), ("s3", "sync"), ("s3", "rm"), ("s3", "mb")}
GLOBAL = {"query", "output", "region", "profile", "endpoint-url", "no-cli-pager", "debug", "cli-input-json"}


def kebab(name):
    return xform_name(name).replace("_", "-")


def check(line, session):
    words = line.split("|")[0].split()
    service, command = words[1], words[2]
    if (service, command) in CUSTOMIZATIONS:
        return []
    try:
        model = session.get_service_model(service)
    except Exception:
        return ["%s: no service %s" % (line, service)]
    options = [w[2:] for w in words[3:] if w.startswith("--")]
    if command == "wait":
        waiters = {kebab(n): n for n in session.get_waiter_model(service).waiter_names}
        if words[3] not in waiters:
            return ["%s: %s has no waiter %s" % (line, service, words[3])]
        members = model.operation_model(session.get_waiter_model(service).get_waiter(waiters[words[3]]).operation).input_shape.members
    else:
        ops = {kebab(n): n for n in model.operation_names}
        if command not in ops:
            return ["%s: %s has no command %s" % (line, service, command)]
        members = model.operation_model(ops[command]).input_shape.members
    known = {kebab(m): shape for m, shape in members.items()}
    problems = []
    for o in options:
        if o in GLOBAL:
            continue
        if o in known:
            continue
        if o.startswith("no-") and o[3:] in known and known[o[3:]].type_name == "boolean":
            continue
        problems.append("%s: --%s is not an option of %s %s" % (line, o, service, command))
    return problems


def main():
    session = botocore.session.get_session()
    lines = json.load(sys.stdin)
    print(json.dumps([p for line in lines for p in check(line, session)]))


if __name__ == "__main__":
    main()
