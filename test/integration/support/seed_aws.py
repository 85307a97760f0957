"""Creates, in the moto server at AWS_ENDPOINT_URL, the AWS resources a Metaflow profile names (the datastore bucket,
the job queues with their first compute environment's platform), so Metaflow's own calls find them.

Input (argv[1], JSON): {"buckets": [name], "queues": [{"name": str, "platform": "EC2" | "FARGATE"}]}
"""

import json
import sys
from typing import TypedDict

import boto3


class Queue(TypedDict):
    name: str
    platform: str


class Spec(TypedDict):
    buckets: list[str]
    queues: list[Queue]


def seed(spec: Spec) -> None:
    """Idempotent: what exists already (another stack's profile with the same names) is left as it is."""
    s3 = boto3.client("s3")
    existing = {b["Name"] for b in s3.list_buckets()["Buckets"]}
    for bucket in spec["buckets"]:
        if bucket not in existing:
            s3.create_bucket(Bucket=bucket)
    batch = boto3.client("batch")
    known = {q["jobQueueName"] for q in batch.describe_job_queues()["jobQueues"]}
    queues = [q for q in spec["queues"] if q["name"] not in known]
    if not queues:
        return
    # Names unique per seeding, so several profiles can be seeded into one server.
    tag = queues[0]["name"]
    iam = boto3.client("iam")
    ec2 = boto3.client("ec2")
    role = iam.create_role(RoleName=f"{tag}-service", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    iam.create_instance_profile(InstanceProfileName=f"{tag}-instance")
    profile = iam.get_instance_profile(InstanceProfileName=f"{tag}-instance")["InstanceProfile"]["Arn"]
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.0.0/24")["Subnet"]["SubnetId"]
    group = ec2.create_security_group(GroupName=tag, Description="batch", VpcId=vpc)["GroupId"]
    for q in queues:
        resources: dict[str, object] = {"type": q["platform"], "maxvCpus": 16, "subnets": [subnet], "securityGroupIds": [group]}
        if q["platform"] == "EC2":
            resources.update({"minvCpus": 0, "instanceTypes": ["c5.large"], "instanceRole": profile})
        ce = batch.create_compute_environment(
            computeEnvironmentName=f"{q['name']}-ce", type="MANAGED", serviceRole=role, computeResources=resources  # type: ignore[arg-type]
        )["computeEnvironmentArn"]
        batch.create_job_queue(jobQueueName=q["name"], state="ENABLED", priority=1, computeEnvironmentOrder=[{"order": 1, "computeEnvironment": ce}])


if __name__ == "__main__":
    seed(json.loads(sys.argv[1]))
