#!/usr/bin/env python3
"""moto's server, completed for ferry's deploy tests.

    moto_server.py [--port N] [--port-file FILE]

Serves moto (S3, IAM, STS, ECR, CodeDeploy...) on 127.0.0.1 (port 0: the
OS picks) and prints "ready PORT" once listening.  moto itself is imported,
never copied.  On top of it:

CodeDeploy
  * every request is checked against botocore's codedeploy service model:
    the X-Amz-Target operation must exist, the Content-Type must be JSON
    1.1 and the body must validate against the operation's input shape
    (types, required members, enums, lengths); a malformed request gets a
    400 ValidationException naming every problem, and the problem is
    printed on stderr ("MALFORMED ...") so a test log shows it;
  * RegisterApplicationRevision, GetApplicationRevision and
    StopDeployment, which moto lacks;
  * deployments move Created -> Queued -> InProgress -> Succeeded, one
    step per GetDeployment, or end Failed / Stopped on demand: a
    description containing "[ferry-test:fail]" or "[ferry-test:stop]",
    or the next outcome set with POST /ferry-test/codedeploy
    {"outcome": "Failed", "errorInformation": {"code": ..., "message": ...}};
    with FERRY_TEST_AGENT set, that command carries the deployment out
    (the S3 bundle is handed over in BUNDLE_FILE) and its exit status
    decides;
  * a second deployment to a group that has one running is refused with
    DeploymentLimitExceededException, as CodeDeploy does;
  * epoch-second timestamps and errorInformation as the real service;
  * IAM checks see real resource ARNs (application, deploymentgroup,
    deploymentconfig) instead of "*", so least-privilege policies can be
    tested.

EC2 instance metadata (IMDSv2 enforced)
  * PUT /latest/api/token (with X-aws-ec2-metadata-token-ttl-seconds)
    issues a token that every GET must carry (else 401);
  * the instance role is set with POST /ferry-test/instance-role
    {"RoleArn": "arn:aws:iam::123456789012:role/NAME"}; its credentials
    are a real STS session of moto (AssumeRole of that role), so they pass
    moto's authentication and the role's IAM policies apply.

Container credentials (the ECS/EKS agent's endpoint): GET
/ferry-test/container-credentials answers the instance role's credentials
as JSON, once POST /ferry-test/container-token set the Authorization value
it must carry.

GET /ferry-test/requests returns the count of requests per service
operation seen so far (the tests check call orders with it).

STS AssumeRoleWithWebIdentity as STS checks it
  * the call is unsigned (STS trusts the token, not a signature), so it
    is let through without SigV4 once authorisation is on, and recorded
    as "sts:AssumeRoleWithWebIdentity signed|unsigned";
  * the token must be one the tests issued with POST
    /ferry-test/web-identity-token {"token": T, "provider": OIDC_ARN}
    (else 400 InvalidIdentityToken), RoleSessionName must be given, and
    the role's trust policy must allow sts:AssumeRoleWithWebIdentity to
    that provider as a Federated principal (else 403 AccessDenied "Not
    authorized to perform sts:AssumeRoleWithWebIdentity"); the session's
    credentials then carry the role's policies, as moto's AssumeRole.

IAM as AWS enforces it where moto does not
  * S3: HeadBucket needs s3:ListBucket; a PutObject or
    CreateMultipartUpload that sets an ACL (x-amz-acl, x-amz-grant-*)
    also needs s3:PutObjectAcl;
  * CodeDeploy: CreateDeployment also needs codedeploy:GetDeploymentConfig
    on the deployment configuration (the group's, else
    CodeDeployDefault.OneAtATime) and codedeploy:GetApplicationRevision on
    the application;
  * ECR calls are authorised on the repository ARN;
  * refusals of JSON and query services read as AWS's: "User: ARN is not
    authorized to perform: ACTION on resource: ARN because no
    identity-based policy allows the ACTION action".

ECR and a registry (--registry-upstream PORT)
  * GetAuthorizationToken answers a token of its own for each caller
    ("AWS:" and a random password, 12 hours), whose proxyEndpoint is the
    registry front below;
  * the registry front (a second port, "registry PORT" on stdout,
    --registry-port-file) is what ECR's registry endpoint is: HTTP Basic
    with such a token, each Docker Registry API v2 request authorised as
    the ECR action AWS maps it to (BatchGetImage, GetDownloadUrlForLayer,
    BatchCheckLayerAvailability, InitiateLayerUpload, UploadLayerPart,
    CompleteLayerUpload, PutImage, ListImages) on the repository ARN for
    the token's IAM user or role session, for repositories that exist in
    moto's ECR; then forwarded (streamed) to a docker-registry on
    127.0.0.1:PORT with the registry's own htpasswd user
    (--registry-auth USER:PASSWORD).  A refusal reads as ECR's ("denied:
    User: ... is not authorized to perform: ecr:PutImage on resource: ...").

CodeDeploy service roles (--service-roles)
  * a deployment whose group's service role is missing, is not trusted by
    codedeploy.amazonaws.com, or may not do what CodeDeploy does with it
    for an EC2 tag group (ec2:DescribeInstances, ec2:DescribeInstanceStatus,
    tag:GetResources) fails with IAM_ROLE_PERMISSIONS, as CodeDeploy does;
    POST /ferry-test/service-role {"application", "group", "role"} gives a
    group another service role (moto has no UpdateDeploymentGroup).

The test agent (FERRY_TEST_AGENT)
  * runs in the background once the deployment is InProgress, after
    downloading the bundle from S3 with the instance role's credentials
    when an instance role is set (a refusal fails the DownloadBundle event
    with S3's "Access Denied", as the real agent reports it);
  * when it writes the agent's JSON result (ferry appspec run --json) to
    $AGENT_RESULT, the instance's lifecycle events are served by
    ListDeploymentTargets and BatchGetDeploymentTargets, and a failure
    reads as CodeDeploy's: errorInformation HEALTH_CONSTRAINTS, the
    diagnostics (errorCode, scriptName, message, logTail) on the target's
    event.
"""
import argparse
import http.client
import io
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import uuid

from botocore.loaders import Loader
from botocore.model import ServiceModel
from botocore.validate import ParamValidator
from moto.codedeploy import models as cd_models
from moto.codedeploy import responses as cd_responses
from moto.core import DEFAULT_ACCOUNT_ID
from moto.core.authorization import ActionAuthenticatorMixin
from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    create_backend_app,
)
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

ACCOUNT = DEFAULT_ACCOUNT_ID
LOCK = threading.Lock()
STATE = {
    "outcome": None,  # next forced outcome of a deployment
    "instance_role": None,
    "tokens": {},
    "requests": [],
    "port": 0,
    "ecr_tokens": {},  # password -> {"akid", "session", "expires"}
    "registry": None,  # {"port", "upstream", "auth"} with a registry front
    "service_roles": False,
    "web_tokens": {},  # web identity token -> its OIDC provider's ARN
}

_model = ServiceModel(Loader().load_service_model("codedeploy", "service-2"))


def loud(msg):
    sys.stderr.write("MALFORMED " + msg + "\n")
    sys.stderr.flush()


def json_error(kind, message, status=400):
    body = json.dumps({"__type": kind, "message": message})
    return Response(body, status=status,
                    content_type="application/x-amz-json-1.1")


def validate_codedeploy(request):
    """None when the request is well formed, else an error Response."""
    target = request.headers.get("X-Amz-Target", "")
    prefix = _model.metadata["targetPrefix"] + "."
    if not target.startswith(prefix):
        loud(f"codedeploy: X-Amz-Target {target!r} lacks {prefix!r}")
        return json_error("UnknownOperationException",
                          f"bad X-Amz-Target {target!r}")
    op = target[len(prefix):]
    if op not in _model.operation_names:
        loud(f"codedeploy: unknown operation {op!r}")
        return json_error("UnknownOperationException",
                          f"unknown operation {op!r}")
    ctype = request.headers.get("Content-Type", "")
    if ctype.split(";")[0].strip() != "application/x-amz-json-1.1":
        loud(f"codedeploy {op}: Content-Type {ctype!r}")
        return json_error("ValidationException",
                          f"{op}: Content-Type must be "
                          "application/x-amz-json-1.1")
    raw = request.get_data() or b"{}"
    try:
        params = json.loads(raw)
    except ValueError as e:
        loud(f"codedeploy {op}: body is not JSON: {e}")
        return json_error("SerializationException", f"{op}: bad JSON")
    if not isinstance(params, dict):
        loud(f"codedeploy {op}: body is not a JSON object")
        return json_error("SerializationException", f"{op}: not an object")
    shape = _model.operation_model(op).input_shape
    report = ParamValidator().validate(params, shape) if shape else None
    if report and report.has_errors():
        text = report.generate_report()
        loud(f"codedeploy {op}: {text} in {raw.decode(errors='replace')}")
        return json_error("ValidationException", f"{op}: {text}")
    STATE["requests"].append("codedeploy:" + op)
    return None


# ---- CodeDeploy: the missing operations and the state machine ----

_orig_deployment_init = cd_models.DeploymentInfo.__init__
_orig_deployment_to_dict = cd_models.DeploymentInfo.to_dict
_orig_create_deployment = cd_models.CodeDeployBackend.create_deployment

STEPS = ["Created", "Queued", "InProgress"]
TERMINAL = ("Succeeded", "Failed", "Stopped")


def deployment_init(self, *args, **kwargs):
    _orig_deployment_init(self, *args, **kwargs)
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    self.deployment_id = "d-" + "".join(
        alphabet[b % len(alphabet)] for b in os.urandom(9))
    self.status = "Created"
    self.create_epoch = time.time()
    self.start_epoch = None
    self.complete_epoch = None
    self.error_information = None
    desc = self.description or ""
    with LOCK:
        forced, STATE["outcome"] = STATE["outcome"], None
    if "[ferry-test:fail]" in desc:
        forced = {"outcome": "Failed", "errorInformation": {
            "code": "HOOK_EXECUTION_FAILURE",
            "message": "Script at specified location: scripts/validate.sh "
                       "run as user root failed with exit code 1"}}
    elif "[ferry-test:stop]" in desc:
        forced = {"outcome": "Stopped", "errorInformation": {
            "code": "MANUAL_STOP", "message": "The deployment was stopped"}}
    self.forced = forced


HEALTH = ("The overall deployment failed because too many individual "
          "instances failed deployment, too few healthy instances are "
          "available for deployment, or some instances in your deployment "
          "group are experiencing problems.")
INSTANCE = "i-ferrytest0000001"
# the agent's result codes as CodeDeploy's diagnostics name them
DIAG = {0: "Success", 1: "ScriptMissing", 2: "ScriptNotExecutable",
        3: "ScriptTimedOut", 4: "ScriptFailed", 5: "UnknownError",
        6: "UnknownError"}


def instance_bundle(loc, path):
    """Download the bundle as the instance's agent does: with the instance
    role's credentials when one is set.  None, or S3's error message."""
    role = STATE["instance_role"]
    if not role:
        from moto.s3.models import s3_backends
        obj = s3_backends[ACCOUNT]["aws"].get_object(loc["bucket"],
                                                     loc["key"])
        with open(path, "wb") as f:
            f.write(obj.value)
        return None
    import boto3
    import botocore.exceptions
    c = role_credentials(role)
    s3 = boto3.client("s3", endpoint_url=f"http://127.0.0.1:{STATE['port']}",
                      region_name="us-east-1",
                      aws_access_key_id=c["AccessKeyId"],
                      aws_secret_access_key=c["SecretAccessKey"],
                      aws_session_token=c["Token"])
    kw = {"VersionId": loc["version"]} if loc.get("version") else {}
    try:
        body = s3.get_object(Bucket=loc["bucket"], Key=loc["key"],
                             **kw)["Body"].read()
    except botocore.exceptions.ClientError as e:
        err = e.response.get("Error", {})
        return err.get("Message") or err.get("Code") or str(e)
    with open(path, "wb") as f:
        f.write(body)
    return None


def event(name, status, code="Success", script="", message="", log="",
          start=None, end=None):
    now = time.time()
    return {"lifecycleEventName": name, "status": status,
            "startTime": start or now, "endTime": end or now,
            "diagnostics": {"errorCode": code, "scriptName": script,
                            "message": message, "logTail": log}}


def events_from_result(result):
    """The instance's lifecycle events from `ferry appspec run --json`."""
    state = {"Succeeded": "Succeeded", "Failed": "Failed",
             "Skipped": "Skipped", "Pending": "Pending",
             "Ignored": "Succeeded"}
    out = []
    for ev in result.get("events", []):
        d = ev.get("diagnostics") or {}
        st = state.get(ev.get("status"), "Unknown")
        msg = d.get("message") or ("Succeeded" if st == "Succeeded" else "")
        out.append(event(ev["name"], st, DIAG.get(d.get("error_code"),
                                                  "UnknownError")
                         if st == "Failed" else "Success",
                         d.get("script_name") or "", msg,
                         (d.get("log") or "")[-2048:]))
    return out


def run_agent(dep):
    """FERRY_TEST_AGENT carries the deployment out: (ok, output tail, the
    target's lifecycle events or None)."""
    loc = (dep.revision or {}).get("s3Location") or {}
    env = dict(os.environ, DEPLOYMENT_ID=dep.deployment_id,
               APPLICATION_NAME=dep.application_name,
               DEPLOYMENT_GROUP_NAME=dep.deployment_group_name or "")
    try:
        backend = cd_models.codedeploy_backends[ACCOUNT]["us-east-1"]
        env["DEPLOYMENT_GROUP_ID"] = backend.get_deployment_group(
            dep.application_name, dep.deployment_group_name
        ).deployment_group_id
    except Exception:
        pass
    with tempfile.TemporaryDirectory() as tmp:
        if loc:
            path = os.path.join(tmp, "bundle." + loc.get("bundleType", "zip"))
            denied = instance_bundle(loc, path)
            if denied:
                names = ["ApplicationStop", "DownloadBundle"]
                evs = [event(names[0], "Succeeded"),
                       event(names[1], "Failed", "UnknownError", "",
                             denied)]
                return False, denied, evs
            env.update(BUNDLE_FILE=path, BUNDLE_TYPE=loc.get("bundleType", ""),
                       BUNDLE_BUCKET=loc["bucket"], BUNDLE_KEY=loc["key"],
                       BUNDLE_ETAG=loc.get("eTag", ""),
                       BUNDLE_VERSION=loc.get("version", ""))
        result_path = os.path.join(tmp, "agent-result.json")
        env["AGENT_RESULT"] = result_path
        p = subprocess.run(os.environ["FERRY_TEST_AGENT"], shell=True,
                           env=env, capture_output=True, text=True)
        evs = None
        if os.path.exists(result_path):
            try:
                with open(result_path) as f:
                    evs = events_from_result(json.load(f))
            except ValueError:
                evs = None
    out = (p.stdout + p.stderr)[-2048:]
    return p.returncode == 0, out, evs


def agent_thread(dep):
    try:
        done = run_agent(dep)
    except Exception as e:  # the deployment fails, the server goes on
        done = (False, f"test agent: {e!r}", None)
    with LOCK:
        dep.agent = done


def finish(dep, forced):
    dep.status = forced["outcome"] if forced else "Succeeded"
    if forced:
        dep.error_information = forced.get("errorInformation")
    dep.complete_epoch = time.time()


def finish_agent(dep):
    ok, out, evs = dep.agent
    dep.target_events = evs
    if ok:
        forced = None
    elif evs is not None:
        forced = {"outcome": "Failed", "errorInformation": {
            "code": "HEALTH_CONSTRAINTS", "message": HEALTH}}
    else:
        forced = {"outcome": "Failed", "errorInformation": {
            "code": "HOOK_EXECUTION_FAILURE", "message": out}}
    finish(dep, forced)


# What CodeDeploy does with a group's service role for an EC2 tag group.
SERVICE_ROLE_ACTIONS = (("ec2:DescribeInstances", "AmazonEC2"),
                        ("ec2:DescribeInstanceStatus", "AmazonEC2"),
                        ("tag:GetResources", "AWS Resource Groups Tagging"))


def trusts_codedeploy(doc):
    """Does a trust policy let codedeploy.amazonaws.com assume the role?"""
    sts = doc.get("Statement", [])
    sts = sts if isinstance(sts, list) else [sts]
    ok = False
    for st in sts:
        acts = st.get("Action", [])
        acts = acts if isinstance(acts, list) else [acts]
        if not any(a in ("sts:AssumeRole", "sts:*", "*") for a in acts):
            continue
        svc = (st.get("Principal") or {})
        svc = svc.get("Service", []) if isinstance(svc, dict) else []
        svc = svc if isinstance(svc, list) else [svc]
        if not any(x.startswith("codedeploy.") and
                   x.endswith(".amazonaws.com") for x in svc):
            continue
        if st.get("Effect") == "Deny":
            return False
        ok = ok or st.get("Effect") == "Allow"
    return ok


def role_allows(iam, role, action):
    from moto.iam.access_control import IAMPolicy, PermissionResult
    policies = [iam.get_role_policy(role.name, n)[1]
                for n in iam.list_role_policies(role.name)]
    policies += iam.list_attached_role_policies(role.name)[0]
    allowed = False
    for pol in policies:
        r = IAMPolicy(pol).is_action_permitted(action, "*")
        if r == PermissionResult.DENIED:
            return False
        allowed = allowed or r == PermissionResult.PERMITTED
    return allowed


def service_role_problem(dep):
    """None, or why CodeDeploy could not use the group's service role."""
    from moto.iam.models import iam_backends
    iam = iam_backends[ACCOUNT]["aws"]
    backend = cd_models.codedeploy_backends[ACCOUNT]["us-east-1"]
    try:
        group = backend.get_deployment_group(dep.application_name,
                                             dep.deployment_group_name)
        arn = group.service_role_arn
        role = iam.get_role_by_arn(arn)
    except Exception:
        return ("CodeDeploy does not have the permissions required to "
                "assume the role of the deployment group (it does not "
                "exist)")
    if not trusts_codedeploy(json.loads(role.assume_role_policy_document)):
        return ("CodeDeploy does not have the permissions required to "
                f"assume the role {arn}.")
    for action, service in SERVICE_ROLE_ACTIONS:
        if not role_allows(iam, role, action):
            return (f"The IAM role {arn} does not give you permission to "
                    "perform operations in the following AWS service: "
                    f"{service}. Contact your AWS administrator if you need "
                    "help. If you are an AWS administrator, you can grant "
                    "permissions to your users or groups by creating IAM "
                    "policies.")
    return None


def advance(dep):
    if dep.status in TERMINAL:
        return
    if getattr(dep, "agent", None) is not None:
        if dep.agent is not True:  # True: still running
            finish_agent(dep)
        return
    i = STEPS.index(dep.status) if dep.status in STEPS else 0
    if i + 1 < len(STEPS):
        dep.status = STEPS[i + 1]
        if dep.status == "InProgress":
            dep.start_epoch = time.time()
        if dep.status == "Queued" and STATE["service_roles"] and \
                dep.forced is None:
            why = service_role_problem(dep)
            if why:
                finish(dep, {"outcome": "Failed", "errorInformation": {
                    "code": "IAM_ROLE_PERMISSIONS", "message": why}})
        return
    forced = dep.forced
    if forced is None and os.environ.get("FERRY_TEST_AGENT"):
        dep.agent = True
        threading.Thread(target=agent_thread, args=(dep,),
                         daemon=True).start()
        return
    finish(dep, forced)


def list_targets(self, deployment_id):
    dep = _orig_get_deployment(self, deployment_id)
    return [INSTANCE] if getattr(dep, "target_events", None) else []


def target_of(self, deployment_id):
    dep = _orig_get_deployment(self, deployment_id)
    evs = getattr(dep, "target_events", None) or []
    failed = any(e["status"] == "Failed" for e in evs)
    return {"deploymentTargetType": "InstanceTarget", "instanceTarget": {
        "deploymentId": deployment_id, "targetId": INSTANCE,
        "targetArn": f"arn:aws:ec2:us-east-1:{ACCOUNT}:instance/{INSTANCE}",
        "status": "Failed" if failed else dep.status,
        "lastUpdatedAt": dep.complete_epoch or time.time(),
        "lifecycleEvents": evs}}


def deployment_to_dict(self):
    d = _orig_deployment_to_dict(self)
    d["status"] = self.status
    d["createTime"] = self.create_epoch
    for key, value in (("startTime", self.start_epoch),
                       ("completeTime", self.complete_epoch)):
        if value is None:
            d.pop(key, None)
        else:
            d[key] = value
    if self.error_information:
        d["errorInformation"] = self.error_information
    else:
        d.pop("errorInformation", None)
    ov = {k: 0 for k in ("Pending", "InProgress", "Succeeded", "Failed",
                         "Skipped", "Ready")}
    key = {"Created": "Pending", "Queued": "Pending",
           "InProgress": "InProgress"}.get(self.status, self.status)
    if key in ov:
        ov[key] = 1
    d["deploymentOverview"] = ov
    return {k: v for k, v in d.items() if v is not None}


def create_deployment(self, application_name, deployment_group_name,
                      revision, *args, **kwargs):
    for dep in self.deployments.values():
        if (dep.application_name == application_name and
                dep.deployment_group_name == deployment_group_name and
                dep.status not in TERMINAL):
            raise DeploymentLimitExceeded(
                f"The Deployment Group '{deployment_group_name}' already "
                f"has an active Deployment '{dep.deployment_id}'")
    return _orig_create_deployment(self, application_name,
                                   deployment_group_name, revision,
                                   *args, **kwargs)


def get_deployment_advancing(self, deployment_id):
    dep = _orig_get_deployment(self, deployment_id)
    with LOCK:
        advance(dep)
    return dep


def register_application_revision(self, application_name, revision,
                                  description):
    app = self.get_application(application_name)
    revs = getattr(app, "revisions", None)
    if revs is None:
        revs = app.revisions = []
    revs.append({"revision": revision, "description": description,
                 "registerTime": time.time()})


def get_application_revision(self, application_name, revision):
    app = self.get_application(application_name)
    for r in getattr(app, "revisions", []):
        if r["revision"] == revision:
            return r
    raise RevisionDoesNotExist("The revision does not exist")


def stop_deployment(self, deployment_id):
    dep = _orig_get_deployment(self, deployment_id)
    if dep.status not in TERMINAL:
        dep.status = "Stopped"
        dep.complete_epoch = time.time()
        dep.error_information = {"code": "MANUAL_STOP",
                                 "message": "Stopped by StopDeployment"}
    return dep


from moto.core.exceptions import JsonRESTError  # noqa: E402


class DeploymentLimitExceeded(JsonRESTError):
    code = 400

    def __init__(self, message):
        super().__init__("DeploymentLimitExceededException", message)


class RevisionDoesNotExist(JsonRESTError):
    code = 400

    def __init__(self, message):
        super().__init__("RevisionDoesNotExistException", message)


_orig_get_deployment = cd_models.CodeDeployBackend.get_deployment
cd_models.DeploymentInfo.__init__ = deployment_init
cd_models.DeploymentInfo.to_dict = deployment_to_dict
cd_models.CodeDeployBackend.create_deployment = create_deployment
cd_models.CodeDeployBackend.get_deployment = get_deployment_advancing
cd_models.CodeDeployBackend.register_application_revision = \
    register_application_revision
cd_models.CodeDeployBackend.get_application_revision = \
    get_application_revision
cd_models.CodeDeployBackend.stop_deployment = stop_deployment


def r_register_application_revision(self):
    self.codedeploy_backend.register_application_revision(
        self._get_param("applicationName"), self._get_param("revision"),
        self._get_param("description"))
    return "{}"


def r_get_application_revision(self):
    name = self._get_param("applicationName")
    r = self.codedeploy_backend.get_application_revision(
        name, self._get_param("revision"))
    return json.dumps({"applicationName": name, "revision": r["revision"],
                       "revisionInfo": {"description": r["description"],
                                        "registerTime": r["registerTime"]}})


def r_stop_deployment(self):
    self.codedeploy_backend.stop_deployment(self._get_param("deploymentId"))
    return json.dumps({"status": "Succeeded",
                       "statusMessage": "Deployment stopped"})


DEPLOYMENT_CONFIGS = {
    "CodeDeployDefault.OneAtATime": ("HOST_COUNT", 1),
    "CodeDeployDefault.HalfAtATime": ("FLEET_PERCENT", 50),
    "CodeDeployDefault.AllAtOnce": ("HOST_COUNT", 0),
}


def r_get_deployment_config(self):
    name = self._get_param("deploymentConfigName")
    if name not in DEPLOYMENT_CONFIGS:
        raise JsonRESTError("DeploymentConfigDoesNotExistException",
                            f"The deployment config {name} does not exist")
    kind, value = DEPLOYMENT_CONFIGS[name]
    return json.dumps({"deploymentConfigInfo": {
        "deploymentConfigId": "00000000-0000-0000-0000-000000000000",
        "deploymentConfigName": name, "computePlatform": "Server",
        "minimumHealthyHosts": {"type": kind, "value": value},
        "createTime": 1420070400.0}})


def r_list_deployment_targets(self):
    ids = list_targets(self.codedeploy_backend, self._get_param("deploymentId"))
    return json.dumps({"targetIds": ids})


def r_batch_get_deployment_targets(self):
    dep_id = self._get_param("deploymentId")
    want = self._get_param("targetIds") or []
    have = list_targets(self.codedeploy_backend, dep_id)
    return json.dumps({"deploymentTargets": [
        target_of(self.codedeploy_backend, dep_id)
        for t in want if t in have]})


def determine_resource(self):
    """The ARN CodeDeploy authorizes the action on."""
    try:
        body = json.loads(self.body or "{}")
    except ValueError:
        return "*"
    region = self.region
    base = f"arn:aws:codedeploy:{region}:{self.current_account}:"
    app = body.get("applicationName")
    group = body.get("deploymentGroupName")
    op = self._get_action()
    if op in ("GetDeployment", "StopDeployment", "ListDeploymentTargets",
              "BatchGetDeploymentTargets") and body.get("deploymentId"):
        try:
            dep = _orig_get_deployment(self.codedeploy_backend,
                                       body["deploymentId"])
            app, group = dep.application_name, dep.deployment_group_name
        except Exception:
            return "*"
    if op == "GetDeploymentConfig":
        return base + "deploymentconfig:" + body.get("deploymentConfigName", "")
    if app and group:
        return base + f"deploymentgroup:{app}/{group}"
    if app:
        return base + f"application:{app}"
    return "*"


cd_responses.CodeDeployResponse.register_application_revision = \
    r_register_application_revision
cd_responses.CodeDeployResponse.get_application_revision = \
    r_get_application_revision
cd_responses.CodeDeployResponse.stop_deployment = r_stop_deployment
cd_responses.CodeDeployResponse.get_deployment_config = r_get_deployment_config
cd_responses.CodeDeployResponse.list_deployment_targets = \
    r_list_deployment_targets
cd_responses.CodeDeployResponse.batch_get_deployment_targets = \
    r_batch_get_deployment_targets
cd_responses.CodeDeployResponse._determine_resource = determine_resource


# ---- IAM as AWS enforces it where moto does not ----

from moto import settings as moto_settings  # noqa: E402
from moto.core.exceptions import _RESTError  # noqa: E402
from moto.iam import access_control as iam_ac  # noqa: E402
from moto.s3.responses import S3Response  # noqa: E402


def enforced():
    return (ActionAuthenticatorMixin.request_count >=
            moto_settings.INITIAL_NO_AUTH_ACTION_COUNT)


class DeniedOn(_RESTError):
    code = 403

    def __init__(self, message):
        super().__init__("AccessDenied", message)


_orig_check_permitted = iam_ac.IAMRequestBase.check_action_permitted


def check_permitted(self, resource):
    self.ferry_resource = resource
    return _orig_check_permitted(self, resource)


def iam_denied(self):
    act = self._action
    res = getattr(self, "ferry_resource", "*")
    raise DeniedOn(f"User: {self._access_key.arn} is not authorized to "
                   f"perform: {act} on resource: {res} because no "
                   f"identity-based policy allows the {act} action")


iam_ac.IAMRequestBase.check_action_permitted = check_permitted
iam_ac.IAMRequest._raise_access_denied = iam_denied


def also_allowed(resp, action, resource):
    """Authorise one more action for the request's caller, as AWS does
    for calls that need several permissions."""
    req = iam_ac.IAMRequest(account_id=resp.current_account,
                            method=resp.method, path="/", data=resp.data,
                            body=resp.raw_body, headers=resp.headers,
                            action=action)
    req.check_action_permitted(resource)


_orig_normal_auth = ActionAuthenticatorMixin.\
    _authenticate_and_authorize_normal_action


def codedeploy_auth(self, resource="*"):
    on = enforced()
    _orig_normal_auth(self, resource)
    if not on or self._get_action() != "CreateDeployment":
        return
    body = json.loads(self.body or "{}")
    app = body.get("applicationName", "")
    base = f"arn:aws:codedeploy:{self.region}:{self.current_account}:"
    config = body.get("deploymentConfigName")
    if not config:
        try:
            config = self.codedeploy_backend.get_deployment_group(
                app, body.get("deploymentGroupName", "")
            ).deployment_config_name
        except Exception:
            config = None
    # moto keeps the default as an Enum whose str() is the full name
    config = str(config) if config else "CodeDeployDefault.OneAtATime"
    also_allowed(self, "GetDeploymentConfig",
                 base + "deploymentconfig:" + config)
    also_allowed(self, "GetApplicationRevision", base + "application:" + app)


cd_responses.CodeDeployResponse._authenticate_and_authorize_normal_action = \
    codedeploy_auth

_orig_s3_auth = S3Response._authenticate_and_authorize_s3_action


def sets_acl(headers):
    return any(k.lower() == "x-amz-acl" or k.lower().startswith("x-amz-grant-")
               for k in headers.keys())


def s3_auth(self, bucket_name=None, key_name=None):
    act = self.data.get("Action")
    on = enforced()
    if act == "HeadBucket":
        self.data["Action"] = "ListBucket"
    try:
        _orig_s3_auth(self, bucket_name=bucket_name, key_name=key_name)
        if on and act == "PutObject" and key_name and sets_acl(self.headers) \
                and "partNumber" not in self.querystring:
            self.data["Action"] = "PutObjectAcl"
            _orig_s3_auth(self, bucket_name=bucket_name, key_name=key_name)
    finally:
        self.data["Action"] = act


S3Response._authenticate_and_authorize_s3_action = s3_auth


# ---- SigV4 checks on the request as sent ----
#
# moto verifies signatures against werkzeug's re-quoted URL, in which
# "%2B" has become "+" and "%2F" in a query "/": every key or prefix with
# such characters fails although AWS (and botocore's own signer, which the
# check reuses) would accept it.  The check is given the request line's
# raw URI instead.

RAW = threading.local()
_orig_authenticate = ActionAuthenticatorMixin._authenticate_and_authorize_action


def authenticate_raw(self, iam_request_cls, resource="*"):
    raw = getattr(RAW, "uri", None)
    if not raw:
        return _orig_authenticate(self, iam_request_cls, resource)
    saved = self.uri
    self.uri = "http://raw" + raw
    try:
        return _orig_authenticate(self, iam_request_cls, resource)
    finally:
        self.uri = saved


ActionAuthenticatorMixin._authenticate_and_authorize_action = authenticate_raw


# ---- STS: AssumeRoleWithWebIdentity, unsigned, token and trust checked ----

from moto.sts import responses as sts_responses  # noqa: E402


class StsRefusal(_RESTError):
    """A refusal in STS's own XML (moto's wraps <Error> in <Errors>)."""

    def __init__(self, status, kind, message):
        super().__init__(kind, message)
        self.code = status
        from xml.sax.saxutils import escape
        self.description = (
            '<ErrorResponse xmlns="https://sts.amazonaws.com/doc/'
            '2011-06-15/"><Error><Type>Sender</Type>'
            f"<Code>{escape(kind)}</Code><Message>{escape(message)}"
            f"</Message></Error><RequestId>{uuid.uuid4()}</RequestId>"
            "</ErrorResponse>")


def trusts_web_identity(doc, provider):
    """Does a trust policy let the provider's identities assume the role
    with a web identity token?"""
    sts = doc.get("Statement", [])
    sts = sts if isinstance(sts, list) else [sts]
    ok = False
    for st in sts:
        acts = st.get("Action", [])
        acts = acts if isinstance(acts, list) else [acts]
        if not any(a in ("sts:AssumeRoleWithWebIdentity", "sts:*", "*")
                   for a in acts):
            continue
        fed = st.get("Principal") or {}
        fed = fed.get("Federated", []) if isinstance(fed, dict) else []
        fed = fed if isinstance(fed, list) else [fed]
        if provider not in fed:
            continue
        if st.get("Effect") == "Deny":
            return False
        ok = ok or st.get("Effect") == "Allow"
    return ok


def check_web_identity(resp):
    from moto.iam.models import iam_backends
    token = resp._get_param("WebIdentityToken") or ""
    role_arn = resp._get_param("RoleArn") or ""
    if not resp._get_param("RoleSessionName"):
        raise StsRefusal(400, "ValidationError",
                         "1 validation error detected: Value null at "
                         "'roleSessionName' failed to satisfy constraint: "
                         "Member must not be null")
    provider = STATE["web_tokens"].get(token)
    if provider is None:
        raise StsRefusal(400, "InvalidIdentityToken",
                         "The web identity token that was passed could not "
                         "be validated by AWS. Get a new identity token "
                         "from the identity provider and then retry the "
                         "request.")
    try:
        role = iam_backends[ACCOUNT]["aws"].get_role_by_arn(role_arn)
        trust = json.loads(role.assume_role_policy_document)
    except Exception:
        trust = {}
    if not trusts_web_identity(trust, provider):
        raise StsRefusal(403, "AccessDenied", "Not authorized to perform "
                         "sts:AssumeRoleWithWebIdentity")


_orig_sts_auth = \
    sts_responses.TokenResponse._authenticate_and_authorize_normal_action


def sts_auth(self, resource="*"):
    if self._get_action() == "AssumeRoleWithWebIdentity":
        signed = "Authorization" in self.headers
        STATE["requests"].append("sts:AssumeRoleWithWebIdentity " +
                                 ("signed" if signed else "unsigned"))
        if enforced():
            check_web_identity(self)
            return
    return _orig_sts_auth(self, resource)


sts_responses.TokenResponse._authenticate_and_authorize_normal_action = \
    sts_auth


# ---- ECR: repository ARNs, tokens of our own, the registry front ----

from moto.ecr import responses as ecr_responses  # noqa: E402

ECR_TOKEN_SECONDS = 12 * 3600


def ecr_determine_resource(self):
    try:
        body = json.loads(self.body or "{}")
    except ValueError:
        return "*"
    names = body.get("repositoryNames") or []
    name = body.get("repositoryName") or (names[0] if names else None)
    if not name:
        return "*"
    acct = body.get("registryId") or self.current_account
    return f"arn:aws:ecr:{self.region}:{acct}:repository/{name}"


ecr_responses.ECRResponse._determine_resource = ecr_determine_resource


def r_batch_check_layer_availability(self):
    """Which layers the registry behind the front has (moto has none)."""
    import base64
    name = self._get_param("repositoryName")
    if name not in self.ecr_backend.repositories:
        raise JsonRESTError("RepositoryNotFoundException",
                            f"The repository with name '{name}' does not "
                            f"exist in the registry with id '{ACCOUNT}'")
    front = STATE["registry"]
    layers, failures = [], []
    for digest in self._get_param("layerDigests") or []:
        size = None
        if front:
            conn = http.client.HTTPConnection("127.0.0.1", front["upstream"],
                                              timeout=30)
            conn.request("HEAD", f"/v2/{name}/blobs/{digest}", headers={
                "Authorization": "Basic " + base64.b64encode(
                    front["auth"].encode()).decode()})
            resp = conn.getresponse()
            resp.read()
            if resp.status == 200:
                size = int(resp.getheader("Content-Length") or 0)
            conn.close()
        if size is None:
            failures.append({"layerDigest": digest,
                             "failureCode": "MissingLayerDigest",
                             "failureReason": "Requested layer digest is "
                                              "not in the repository"})
        else:
            layers.append({"layerDigest": digest, "layerSize": size,
                           "layerAvailability": "AVAILABLE",
                           "mediaType": "application/vnd.docker.image."
                                        "rootfs.diff.tar.gzip"})
    return json.dumps({"layers": layers, "failures": failures})


ecr_responses.ECRResponse.batch_check_layer_availability = \
    r_batch_check_layer_availability


def ecr_token_answer(body, headers):
    """GetAuthorizationToken's answer, with a token of the caller's own
    (so that the registry front knows who pushes) whose endpoint is the
    front."""
    auth = headers.get("Authorization", "")
    akid = auth.split("Credential=", 1)[-1].split("/", 1)[0]
    session = headers.get("X-Amz-Security-Token")
    data = json.loads(body)
    front = STATE["registry"]
    for d in data.get("authorizationData", []):
        password = uuid.uuid4().hex + uuid.uuid4().hex
        expires = time.time() + ECR_TOKEN_SECONDS
        with LOCK:
            STATE["ecr_tokens"][password] = {
                "akid": akid, "session": session, "expires": expires}
        import base64
        d["authorizationToken"] = base64.b64encode(
            f"AWS:{password}".encode()).decode()
        d["expiresAt"] = expires
        if front:
            d["proxyEndpoint"] = f"http://127.0.0.1:{front['port']}"
    return json.dumps(data).encode()


# Docker Registry HTTP API v2 -> the ECR action AWS authorises it as.
def registry_action(method, rest):
    """rest: the path after /v2/<name>/; None for requests ECR refuses."""
    if rest.startswith("manifests/"):
        return {"GET": "BatchGetImage", "HEAD": "BatchGetImage",
                "PUT": "PutImage", "DELETE": "BatchDeleteImage"}.get(method)
    if rest.startswith("blobs/uploads"):
        return {"POST": "InitiateLayerUpload", "PATCH": "UploadLayerPart",
                "PUT": "CompleteLayerUpload", "GET": "UploadLayerPart",
                "DELETE": "UploadLayerPart"}.get(method)
    if rest.startswith("blobs/"):
        return {"GET": "GetDownloadUrlForLayer",
                "HEAD": "BatchCheckLayerAvailability"}.get(method)
    if rest == "tags/list":
        return "ListImages" if method == "GET" else None
    return None


def principal_of(entry):
    """The IAM identity behind a token: (its ARN, its policies)."""
    from moto.iam.access_control import CreateAccessKeyFailure, \
        create_access_key
    headers = {"X-Amz-Security-Token": entry["session"]} \
        if entry["session"] else {}
    try:
        key = create_access_key(ACCOUNT, "aws", entry["akid"], headers)
    except CreateAccessKeyFailure:
        return None, []
    return key.arn, key.collect_policies()


def allowed(policies, action, resource):
    from moto.iam.access_control import IAMPolicy, PermissionResult
    ok = False
    for pol in policies:
        r = IAMPolicy(pol).is_action_permitted(action, resource)
        if r == PermissionResult.DENIED:
            return False
        ok = ok or r == PermissionResult.PERMITTED
    return ok


class RegistryFront(BaseHTTPRequestHandler):
    """ECR's registry endpoint: Basic auth with a GetAuthorizationToken
    token, IAM per request, then docker-registry behind."""
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def answer(self, status, body, extra=()):
        out = json.dumps(body).encode() if body is not None else b""
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Docker-Distribution-Api-Version", "registry/2.0")
        for k, v in extra:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(out)

    def error(self, status, code, message):
        self.drain()
        self.answer(status, {"errors": [{"code": code, "message": message,
                                         "detail": None}]})

    def challenge(self):
        realm = f"http://127.0.0.1:{STATE['registry']['port']}/"
        self.drain()
        self.answer(401, {"errors": [{"code": "UNAUTHORIZED", "message":
                                      "authentication required",
                                      "detail": None}]},
                    [("WWW-Authenticate", f'Basic realm="{realm}",'
                      'service="ecr.amazonaws.com"')])

    def body_chunks(self):
        """The request body as it comes (Content-Length or chunked)."""
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return
                left = size
                while left:
                    chunk = self.rfile.read(min(left, 1 << 20))
                    if not chunk:
                        return
                    left -= len(chunk)
                    yield chunk
                self.rfile.readline()
        else:
            left = int(self.headers.get("Content-Length") or 0)
            while left:
                chunk = self.rfile.read(min(left, 1 << 20))
                if not chunk:
                    return
                left -= len(chunk)
                yield chunk

    def drain(self):
        if not getattr(self, "drained", False):
            self.drained = True
            for _ in self.body_chunks():
                pass

    def who(self):
        import base64
        auth = self.headers.get("Authorization", "")
        if not auth.startswith("Basic "):
            return None
        try:
            user, _, password = base64.b64decode(auth[6:]).decode(
            ).partition(":")
        except ValueError:
            return None
        entry = STATE["ecr_tokens"].get(password)
        if user != "AWS" or not entry or entry["expires"] < time.time():
            return None
        return entry

    def forward(self):
        front = STATE["registry"]
        conn = http.client.HTTPConnection("127.0.0.1", front["upstream"],
                                          timeout=600)
        import base64
        conn.putrequest(self.command, self.path, skip_host=True,
                        skip_accept_encoding=True)
        for k, v in self.headers.items():
            if k.lower() in ("authorization", "connection", "keep-alive",
                             "transfer-encoding", "content-length"):
                continue
            conn.putheader(k, v)
        conn.putheader("Authorization", "Basic " + base64.b64encode(
            front["auth"].encode()).decode())
        has_body = self.headers.get("Transfer-Encoding") or \
            int(self.headers.get("Content-Length") or 0)
        if has_body:
            conn.putheader("Transfer-Encoding", "chunked")
        elif self.command in ("PUT", "POST", "PATCH"):
            conn.putheader("Content-Length", "0")
        conn.endheaders()
        if has_body:
            for chunk in self.body_chunks():
                conn.send(b"%x\r\n" % len(chunk) + chunk + b"\r\n")
            conn.send(b"0\r\n\r\n")
        self.drained = True
        resp = conn.getresponse()
        self.send_response(resp.status)
        length = resp.getheader("Content-Length")
        for k, v in resp.getheaders():
            if k.lower() in ("connection", "keep-alive", "transfer-encoding",
                             "content-length"):
                continue
            self.send_header(k, v)
        if length is not None:
            self.send_header("Content-Length", length)
            self.end_headers()
            while self.command != "HEAD":
                chunk = resp.read(1 << 20)
                if not chunk:
                    break
                self.wfile.write(chunk)
        else:
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            while True:
                chunk = resp.read(1 << 20)
                if not chunk:
                    break
                self.wfile.write(b"%x\r\n" % len(chunk) + chunk + b"\r\n")
            self.wfile.write(b"0\r\n\r\n")
        conn.close()

    def handle_any(self):
        from moto.ecr.models import ecr_backends
        self.drained = False
        path = self.path.split("?", 1)[0]
        STATE["requests"].append("registry:" + self.command + " " + path)
        entry = self.who()
        if entry is None:
            return self.challenge()
        if path in ("/v2/", "/v2"):
            return self.forward()
        if not path.startswith("/v2/"):
            return self.error(404, "NOT_FOUND", "not found")
        rest = path[4:]
        name = None
        for marker in ("/manifests/", "/blobs/", "/tags/list"):
            if marker in rest:
                name, _, tail = rest.partition(marker)
                rest = marker[1:] + tail
                break
        action = registry_action(self.command, rest) if name else None
        if action is None:
            return self.error(405, "UNSUPPORTED",
                              "The operation is unsupported.")
        region = STATE["registry"]["region"]
        arn = f"arn:aws:ecr:{region}:{ACCOUNT}:repository/{name}"
        who, policies = principal_of(entry)
        if who is None:
            return self.error(401, "UNAUTHORIZED",
                              "The security token included in the request "
                              "is invalid")
        if not allowed(policies, "ecr:" + action, arn):
            return self.error(
                403, "DENIED", f"User: {who} is not authorized to perform: "
                f"ecr:{action} on resource: {arn} because no identity-based "
                f"policy allows the ecr:{action} action")
        if name not in ecr_backends[ACCOUNT][region].repositories:
            return self.error(404, "NAME_UNKNOWN",
                              f"The repository with name '{name}' does not "
                              f"exist in the registry with id '{ACCOUNT}'")
        return self.forward()

    do_GET = do_HEAD = do_PUT = do_POST = do_PATCH = do_DELETE = handle_any


def start_registry_front(upstream, auth, region, port_file):
    server = ThreadingHTTPServer(("127.0.0.1", 0), RegistryFront)
    server.daemon_threads = True
    port = server.server_address[1]
    STATE["registry"] = {"port": port, "upstream": upstream, "auth": auth,
                         "region": region}
    threading.Thread(target=server.serve_forever, daemon=True).start()
    if port_file:
        with open(port_file + ".tmp", "w") as f:
            f.write(f"{port}\n")
        os.rename(port_file + ".tmp", port_file)
    print(f"registry {port}", flush=True)


# ---- instance metadata, IMDSv2 enforced, with a real role session ----

def role_credentials(role_arn):
    from moto.sts.models import sts_backends
    role = sts_backends[ACCOUNT]["aws"].assume_role(
        region_name="us-east-1", role_session_name="i-ferrytest",
        role_arn=role_arn, policy=None, duration=3600, external_id=None)
    return {
        "Code": "Success",
        "LastUpdated": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "Type": "AWS-HMAC",
        "AccessKeyId": role.access_key_id,
        "SecretAccessKey": role.secret_access_key,
        "Token": role.session_token,
        "Expiration": role.expiration.strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


def metadata(request):
    path = request.path
    STATE["requests"].append("imds:" + request.method + " " + path)
    if path == "/latest/api/token":
        if request.method != "PUT":
            return Response("", status=405)
        ttl = request.headers.get("X-aws-ec2-metadata-token-ttl-seconds")
        if not ttl or not ttl.isdigit() or not 1 <= int(ttl) <= 21600:
            return Response("bad or missing ttl", status=400)
        token = uuid.uuid4().hex
        STATE["tokens"][token] = time.time() + int(ttl)
        return Response(token, content_type="text/plain")
    token = request.headers.get("X-aws-ec2-metadata-token")
    if not token or STATE["tokens"].get(token, 0) < time.time():
        return Response("", status=401)
    prefix = "/latest/meta-data/iam/security-credentials/"
    role = STATE["instance_role"]
    if path == prefix:
        if not role:
            return Response("", status=404)
        return Response(role.split("/")[-1], content_type="text/plain")
    if path.startswith(prefix):
        if not role or path[len(prefix):] != role.split("/")[-1]:
            return Response("", status=404)
        return Response(json.dumps(role_credentials(role)),
                        content_type="text/plain")
    if path == "/latest/meta-data/placement/region":
        return Response("us-east-1", content_type="text/plain")
    return Response("", status=404)


def control(request):
    path = request.path
    if path == "/ferry-test/codedeploy" and request.method == "POST":
        STATE["outcome"] = json.loads(request.get_data() or b"{}")
        return Response("{}", content_type="application/json")
    if path == "/ferry-test/instance-role" and request.method == "POST":
        STATE["instance_role"] = json.loads(request.get_data())["RoleArn"]
        return Response("{}", content_type="application/json")
    if path == "/ferry-test/container-credentials":
        want = STATE.get("container_token")
        if want and request.headers.get("Authorization") != want:
            return Response("", status=401)
        if not STATE["instance_role"]:
            return Response("", status=404)
        return Response(json.dumps(role_credentials(STATE["instance_role"])),
                        content_type="application/json")
    if path == "/ferry-test/container-token" and request.method == "POST":
        STATE["container_token"] = request.get_data().decode().strip()
        return Response("{}", content_type="application/json")
    if path == "/ferry-test/service-role" and request.method == "POST":
        # moto has no UpdateDeploymentGroup: change a group's service role
        body = json.loads(request.get_data())
        backend = cd_models.codedeploy_backends[ACCOUNT]["us-east-1"]
        backend.get_deployment_group(body["application"], body["group"]
                                     ).service_role_arn = body["role"]
        return Response("{}", content_type="application/json")
    if path == "/ferry-test/web-identity-token" and request.method == "POST":
        body = json.loads(request.get_data())
        STATE["web_tokens"][body["token"]] = body["provider"]
        return Response("{}", content_type="application/json")
    if path == "/ferry-test/requests":
        return Response(json.dumps(STATE["requests"]),
                        content_type="application/json")
    return Response("unknown control path", status=404)


# moto answers authentication and authorisation failures of JSON services
# in the XML of the query protocol; CodeDeploy answers JSON.
JSON_AUTH_ERRORS = {
    "AccessDenied": (400, "AccessDeniedException"),
    "SignatureDoesNotMatch": (403, "InvalidSignatureException"),
    "InvalidClientTokenId": (403, "UnrecognizedClientException"),
}


def json_errors(app, environ, start_response, rewrite=None):
    """moto's answer, its XML refusals in JSON; `rewrite` (may be None)
    changes the body of a success."""
    caught = {}

    def capture(status, headers, exc_info=None):
        caught["status"], caught["headers"] = status, headers
        return lambda data: None

    body = b"".join(app(environ, capture))
    code = int(caught["status"].split()[0])
    if code >= 400 and body.lstrip().startswith(b"<"):
        import xml.etree.ElementTree as ET
        try:
            root = ET.fromstring(body)
            err = root.find(".//Error")
            kind = err.findtext("Code")
            msg = err.findtext("Message")
        except (ET.ParseError, AttributeError):
            kind = None
        if kind in JSON_AUTH_ERRORS:
            status, kind = JSON_AUTH_ERRORS[kind]
            return json_error(kind, msg, status)(environ, start_response)
    headers = caught["headers"]
    if rewrite and code == 200:
        body = rewrite(body)
        headers = [(k, v) for k, v in headers
                   if k.lower() != "content-length"]
        headers.append(("Content-Length", str(len(body))))
    start_response(caught["status"], headers)
    return [body]


class App:
    def __init__(self):
        self.moto = DomainDispatcherApplication(create_backend_app)

    def __call__(self, environ, start_response):
        RAW.uri = environ.get("RAW_URI") or environ.get("REQUEST_URI")
        request = Request(environ)
        path = request.path
        if path.startswith("/ferry-test/"):
            return control(request)(environ, start_response)
        if path.startswith("/latest/"):
            return metadata(request)(environ, start_response)
        auth = request.headers.get("Authorization", "")
        if "/codedeploy/aws4_request" in auth:
            data = request.get_data()
            bad = validate_codedeploy(request)
            if bad is not None:
                return bad(environ, start_response)
            # moto reads the body again from the stream
            environ["wsgi.input"] = io.BytesIO(data)
            environ["CONTENT_LENGTH"] = str(len(data))
            return json_errors(self.moto, environ, start_response)
        elif "/s3/aws4_request" in auth:
            STATE["requests"].append("s3:" + request.method + " " +
                                     request.full_path.rstrip("?"))
        elif "/ecr/aws4_request" in auth:
            target = request.headers.get("X-Amz-Target", "")
            STATE["requests"].append("ecr:" + target.split(".")[-1])
            rewrite = None
            if target.endswith(".GetAuthorizationToken"):
                headers = dict(request.headers)

                def rewrite(body):
                    return ecr_token_answer(body, headers)
            return json_errors(self.moto, environ, start_response, rewrite)
        return self.moto(environ, start_response)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file")
    ap.add_argument("--registry-upstream", type=int,
                    help="port of a docker-registry to put an ECR front on")
    ap.add_argument("--registry-auth", default="AWS:registry",
                    help="USER:PASSWORD of that registry's htpasswd")
    ap.add_argument("--registry-region", default="us-east-1")
    ap.add_argument("--registry-port-file")
    ap.add_argument("--service-roles", action="store_true",
                    help="check CodeDeploy service roles as CodeDeploy does")
    args = ap.parse_args()
    STATE["service_roles"] = args.service_roles
    server = make_server("127.0.0.1", args.port, App(), threaded=True)
    port = server.server_port
    STATE["port"] = port
    if args.registry_upstream:
        start_registry_front(args.registry_upstream, args.registry_auth,
                             args.registry_region, args.registry_port_file)
    if args.port_file:
        with open(args.port_file + ".tmp", "w") as f:
            f.write(f"{port}\n")
        os.rename(args.port_file + ".tmp", args.port_file)
    print(f"ready {port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
