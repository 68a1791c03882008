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
"""
import argparse
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
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

ACCOUNT = DEFAULT_ACCOUNT_ID
LOCK = threading.Lock()
STATE = {
    "outcome": None,  # next forced outcome of a deployment
    "instance_role": None,
    "tokens": {},
    "requests": [],
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


def run_agent(dep):
    """FERRY_TEST_AGENT carries the deployment out; (ok, message)."""
    from moto.s3.models import s3_backends
    loc = (dep.revision or {}).get("s3Location") or {}
    env = dict(os.environ, DEPLOYMENT_ID=dep.deployment_id,
               APPLICATION_NAME=dep.application_name,
               DEPLOYMENT_GROUP_NAME=dep.deployment_group_name or "")
    with tempfile.TemporaryDirectory() as tmp:
        if loc:
            obj = s3_backends[ACCOUNT]["aws"].get_object(loc["bucket"],
                                                         loc["key"])
            path = os.path.join(tmp, "bundle." + loc.get("bundleType", "zip"))
            with open(path, "wb") as f:
                f.write(obj.value)
            env.update(BUNDLE_FILE=path, BUNDLE_TYPE=loc.get("bundleType", ""),
                       BUNDLE_BUCKET=loc["bucket"], BUNDLE_KEY=loc["key"],
                       BUNDLE_ETAG=loc.get("eTag", ""),
                       BUNDLE_VERSION=loc.get("version", ""))
        p = subprocess.run(os.environ["FERRY_TEST_AGENT"], shell=True,
                           env=env, capture_output=True, text=True)
    out = (p.stdout + p.stderr)[-2048:]
    return p.returncode == 0, out


def advance(dep):
    if dep.status in TERMINAL:
        return
    i = STEPS.index(dep.status) if dep.status in STEPS else 0
    if i + 1 < len(STEPS):
        dep.status = STEPS[i + 1]
        if dep.status == "InProgress":
            dep.start_epoch = time.time()
        return
    forced = dep.forced
    if forced is None and os.environ.get("FERRY_TEST_AGENT"):
        ok, out = run_agent(dep)
        forced = None if ok else {"outcome": "Failed", "errorInformation": {
            "code": "HOOK_EXECUTION_FAILURE", "message": out}}
    dep.status = forced["outcome"] if forced else "Succeeded"
    if forced:
        dep.error_information = forced.get("errorInformation")
    dep.complete_epoch = time.time()


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
    if op in ("GetDeployment", "StopDeployment") and body.get("deploymentId"):
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
cd_responses.CodeDeployResponse._determine_resource = determine_resource


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


def json_errors(app, environ, start_response):
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
    start_response(caught["status"], caught["headers"])
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
        return self.moto(environ, start_response)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file")
    args = ap.parse_args()
    server = make_server("127.0.0.1", args.port, App(), threaded=True)
    port = server.server_port
    if args.port_file:
        with open(args.port_file + ".tmp", "w") as f:
            f.write(f"{port}\n")
        os.rename(args.port_file + ".tmp", args.port_file)
    print(f"ready {port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
