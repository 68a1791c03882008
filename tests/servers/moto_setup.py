#!/usr/bin/env python3
"""Set up the AWS test server (moto_server.py) for a deploy test.

    moto_setup.py ENDPOINT < COMMANDS

One command a line; each prints one line of results on stdout:

    bucket NAME [versioned]         -> "ok"
    user NAME POLICY_JSON           -> "ACCESS_KEY_ID SECRET_ACCESS_KEY"
    role NAME PRINCIPAL POLICY_JSON -> the role ARN; PRINCIPAL is an AWS
                                       ARN or a service ("ec2.amazonaws.com")
    role-trust NAME TRUST_JSON POLICY_JSON
                                    -> the role ARN, with that trust policy
    attach-role-policy NAME ARN     -> "ok"  (a managed policy)
    codedeploy APP GROUP [ROLE_ARN] -> "ok"  (ROLE_ARN: the service role)
    ecr-repository NAME             -> the repository URI
    service-role APP GROUP ROLE_ARN -> "ok"  (the group's new service role)
    instance-role ROLE_ARN          -> "ok"  (the IMDS role)
    web-identity-token TOKEN OIDC_PROVIDER_ARN
                                    -> "ok"  (a token STS will accept)
    auth on|off                     -> "ok"  (authorisation enforced or not)

A POLICY_JSON or TRUST_JSON may be @FILE (the document in a file), and a
POLICY_JSON "-" or a document without statements gives no inline policy.

Set-up runs with authorisation off; "auth on" makes every later request
authenticated (SigV4 checked) and authorised by the caller's IAM policies.
"""
import json
import sys
import urllib.request

import boto3

ENDPOINT = sys.argv[1]
KW = dict(endpoint_url=ENDPOINT, region_name="us-east-1",
          aws_access_key_id="setup", aws_secret_access_key="setup")


def post(path, body):
    req = urllib.request.Request(ENDPOINT + path, data=body.encode(),
                                 method="POST",
                                 headers={"Content-Type": "text/plain"})
    urllib.request.urlopen(req).read()


def doc(text):
    """A policy document given inline or as @FILE; None for none."""
    text = text.strip()
    if text == "-":
        return None
    if text.startswith("@"):
        with open(text[1:]) as f:
            text = f.read()
    if not json.loads(text).get("Statement"):
        return None
    return text


def main():
    s3 = boto3.client("s3", **KW)
    iam = boto3.client("iam", **KW)
    cd = boto3.client("codedeploy", **KW)
    ecr = boto3.client("ecr", **KW)
    for line in sys.stdin:
        words = line.split(None, 3) if line.startswith("role") else \
            line.split(None, 2)
        if not words:
            continue
        cmd = words[0]
        if cmd == "bucket":
            name = words[1]
            s3.create_bucket(Bucket=name)
            if len(words) > 2 and words[2].strip() == "versioned":
                s3.put_bucket_versioning(
                    Bucket=name,
                    VersioningConfiguration={"Status": "Enabled"})
            print("ok")
        elif cmd == "user":
            name, policy = words[1], doc(words[2])
            iam.create_user(UserName=name)
            if policy:
                iam.put_user_policy(UserName=name,
                                    PolicyName=name + "-policy",
                                    PolicyDocument=policy)
            key = iam.create_access_key(UserName=name)["AccessKey"]
            print(key["AccessKeyId"], key["SecretAccessKey"])
        elif cmd == "role":
            name, principal, policy = words[1], words[2], words[3]
            who = ({"Service": principal} if principal.endswith(".com")
                   else {"AWS": principal})
            trust = {"Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Principal": who,
                "Action": "sts:AssumeRole"}]}
            arn = iam.create_role(RoleName=name,
                                  AssumeRolePolicyDocument=json.dumps(trust)
                                  )["Role"]["Arn"]
            policy = doc(policy)
            if policy:
                iam.put_role_policy(RoleName=name,
                                    PolicyName=name + "-policy",
                                    PolicyDocument=policy)
            print(arn)
        elif cmd == "role-trust":
            name, trust, policy = words[1], doc(words[2]), doc(words[3])
            arn = iam.create_role(RoleName=name,
                                  AssumeRolePolicyDocument=trust or json.dumps(
                                      {"Version": "2012-10-17",
                                       "Statement": []}))["Role"]["Arn"]
            if policy:
                iam.put_role_policy(RoleName=name,
                                    PolicyName=name + "-policy",
                                    PolicyDocument=policy)
            print(arn)
        elif cmd == "attach-role-policy":
            iam.attach_role_policy(RoleName=words[1],
                                   PolicyArn=words[2].strip())
            print("ok")
        elif cmd == "ecr-repository":
            repo = ecr.create_repository(repositoryName=words[1].strip())
            print(repo["repository"]["repositoryUri"])
        elif cmd == "codedeploy":
            app, rest = words[1], words[2].split()
            group = rest[0]
            role = rest[1] if len(rest) > 1 else \
                "arn:aws:iam::123456789012:role/cd-service"
            try:
                cd.create_application(applicationName=app,
                                      computePlatform="Server")
            except cd.exceptions.ApplicationAlreadyExistsException:
                pass
            cd.create_deployment_group(
                applicationName=app, deploymentGroupName=group,
                serviceRoleArn=role)
            print("ok")
        elif cmd == "service-role":
            app, rest = words[1], words[2].split()
            post("/ferry-test/service-role", json.dumps(
                {"application": app, "group": rest[0], "role": rest[1]}))
            print("ok")
        elif cmd == "instance-role":
            post("/ferry-test/instance-role",
                 json.dumps({"RoleArn": words[1].strip()}))
            print("ok")
        elif cmd == "web-identity-token":
            post("/ferry-test/web-identity-token", json.dumps(
                {"token": words[1], "provider": words[2].strip()}))
            print("ok")
        elif cmd == "auth":
            post("/moto-api/reset-auth",
                 "0" if words[1].strip() == "on" else "inf")
            print("ok")
        else:
            sys.exit(f"unknown command {cmd!r}")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
