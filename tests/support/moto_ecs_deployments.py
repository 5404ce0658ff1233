"""ECS service deployments on moto's ECS backend, on a clock the test moves (for moto_ecsync).

moto 5.2.1 has no ListServiceDeployments, DescribeServiceDeployments, StopServiceDeployment or
ContinueServiceDeployment, and it keeps no deploymentConfiguration. Here every service created,
or updated in its task definition, desired count or deploymentConfiguration (through the ECS
API or an AWS::ECS::Service in a stack) records a service deployment, kept on moto's ECS backend
(so POST /moto-api/reset clears them), which moves through the lifecycle stages of its strategy:
  ROLLING      SUCCESSFUL at once (with a PAUSE hook: PRE_SCALE_UP, SCALE_UP, POST_SCALE_UP,
               CLEAN_UP);
  BLUE_GREEN   PRE_SCALE_UP, SCALE_UP, POST_SCALE_UP, TEST_TRAFFIC_SHIFT,
               POST_TEST_TRAFFIC_SHIFT, PRODUCTION_TRAFFIC_SHIFT, POST_PRODUCTION_TRAFFIC_SHIFT,
               BAKE_TIME (BakeTimeInMinutes), CLEAN_UP, then SUCCESSFUL;
  CANARY       as BLUE_GREEN, PRODUCTION_TRAFFIC_SHIFT once at CanaryPercent for
               CanaryBakeTimeInMinutes, then at 100;
  LINEAR       as BLUE_GREEN, PRODUCTION_TRAFFIC_SHIFT in StepPercent increments, each for
               StepBakeTimeInMinutes, then at 100.
Every other stage takes one minute. The production traffic share of the moment is
targetServiceRevision.requestedProductionTrafficWeight.

Time does not pass by itself. Test-control endpoints (POST, JSON body, JSON answer):
  /moto-api/ecsync/ecs/advance  {"minutes": N} or {"steps": N}: every active deployment moves
      on N minutes, or N stages; a deployment paused at a hook does not move. Answers
      {"deployments": [{"serviceDeploymentArn", "status", "lifecycleStage",
      "productionTrafficPercent"}, ...]} for every deployment recorded.
  /moto-api/ecsync/ecs/alarm    {"name": "web-5xx", "state": "ALARM"}: every active deployment
      whose Alarms list the alarm (Enable true) records it as triggered; with Rollback true it
      goes ROLLBACK_IN_PROGRESS, and ROLLBACK_SUCCESSFUL at the next advance, its statusReason
      naming the alarm.
A lifecycle hook that is a manual approval (is_pause_hook) pauses the deployment when it enters
the hook's stage (PRE_PRODUCTION_TRAFFIC_SHIFT: the end of POST_TEST_TRAFFIC_SHIFT):
lifecycleHookDetails shows it AWAITING_ACTION with its hookId until ContinueServiceDeployment;
CONTINUE moves to the next stage, ROLLBACK rolls back at once (ROLLBACK_SUCCESSFUL, "rolled back
by the approver"). A hook with ecsync's marker also reads the SSM parameter its HookDetails name
("parameter", in moto's own SSM backend) at every advance and DescribeServiceDeployments, as the
template's approval function does: the target service revision's ARN continues to the next stage,
"reject <that ARN>" rolls back at once ("the approver rejected"), anything else waits.
StopServiceDeployment ROLLBACK rolls back at once, ABORT stops (STOPPED).
A rollback puts the service's previous task definition back.

CloudFormation's side (AWS::ECS::Service, held stacks) is moto_ecs_deployment_stacks.py.
"""
import json
import threading

from moto.core.exceptions import ServiceException
from moto.core.responses import ActionResult
from moto.core.utils import utcnow
from moto.ecs import responses as ecs_responses
from moto.ecs.exceptions import InvalidParameterException
from moto.ecs.models import ecs_backends
from moto.moto_api._internal import mock_random
from moto.moto_api._internal import urls as moto_api_urls
from moto.ssm.models import ssm_backends

TERMINAL = ("SUCCESSFUL", "STOPPED", "ROLLBACK_SUCCESSFUL", "ROLLBACK_FAILED")
_BLUE_GREEN_BEFORE = ["PRE_SCALE_UP", "SCALE_UP", "POST_SCALE_UP", "TEST_TRAFFIC_SHIFT",
                      "POST_TEST_TRAFFIC_SHIFT"]
_BLUE_GREEN_AFTER = ["POST_PRODUCTION_TRAFFIC_SHIFT", "BAKE_TIME", "CLEAN_UP"]

# The CloudFormation operation running in this thread (stack_id, updating), set by
# moto_ecs_deployment_stacks; a deployment recorded meanwhile belongs to that stack.
operation = threading.local()
# Called with each deployment that ended rolled back or stopped (its stack fails).
on_failed = []


class ServiceDeploymentNotFound(ServiceException):
    code = "ServiceDeploymentNotFoundException"
    # moto serializes an error with the model of the service its module names.
    __module__ = "moto.ecs.ecsync"


def _hook_details(hook):
    """A lifecycle hook's HookDetails as a dict (they may come as JSON text), or None."""
    details = hook.get("hookDetails")
    if isinstance(details, str):
        try:
            details = json.loads(details)
        except ValueError:
            return None
    return details if isinstance(details, dict) else None


def is_pause_hook(hook):
    """Whether a lifecycle hook is a manual approval: TargetType PAUSE, or ecsync's own marker
    HookDetails {"ecsync": "approval"} (for templates that cannot say PAUSE)."""
    if hook.get("targetType") == "PAUSE":
        return True
    return (_hook_details(hook) or {}).get("ecsync") == "approval"


def _approval_parameter(hook):
    """The SSM parameter an ecsync approval hook reads ("parameter" of its HookDetails), or
    None: a TargetType PAUSE hook waits for ContinueServiceDeployment alone."""
    details = _hook_details(hook) or {}
    if details.get("ecsync") != "approval":
        return None
    return details.get("parameter") or None


def _check_approval(deployment):
    """What the approval function answers, applied to a deployment paused at its hook: the
    parameter holding the target revision's ARN continues to the next stage, "reject <ARN>"
    rolls back, anything else (or no parameter) keeps it paused."""
    state = deployment["ecsync"]
    name = state.get("approval_parameter")
    if not state["paused"] or not name or deployment["status"] in TERMINAL:
        return
    _, _, _, region, account = deployment["serviceDeploymentArn"].split(":")[:5]
    parameter = ssm_backends[account][region].get_parameter(name)
    value = parameter.value.strip() if parameter is not None else ""
    target = deployment["targetServiceRevision"]["arn"]
    if value == target:
        _enter(deployment, state["index"] + 1)
    elif value == "reject " + target:
        _roll_back(deployment, "Service deployment rolled back: the approver rejected service "
                               f"revision {target} at lifecycle stage "
                               f"{deployment['lifecycleStage']}.", at_once=True)


def _camel(value):
    """A deploymentConfiguration in the API's spelling, whether it came from the API or a template
    (CloudFormation capitalises every key); HookDetails is free-form and kept as it is."""
    if isinstance(value, list):
        return [_camel(v) for v in value]
    if not isinstance(value, dict):
        return value
    out = {}
    for key, item in value.items():
        name = key[:1].lower() + key[1:]
        out[name] = item if name == "hookDetails" else _camel(item)
    return out


def _stages(config):
    """[(lifecycleStage, minutes, production traffic percent)] for a deploymentConfiguration;
    [] for a rolling deployment without pause hooks (it completes at once)."""
    strategy = config.get("strategy") or "ROLLING"
    if strategy == "ROLLING":
        if not any(is_pause_hook(h) for h in config.get("lifecycleHooks", [])):
            return []
        return [("PRE_SCALE_UP", 1, 0), ("SCALE_UP", 1, 0), ("POST_SCALE_UP", 1, 100),
                ("CLEAN_UP", 1, 100)]
    shifts = []
    if strategy == "CANARY":
        canary = config.get("canaryConfiguration", {})
        shifts.append((float(canary.get("canaryPercent", 5)),
                       int(canary.get("canaryBakeTimeInMinutes", 10))))
    elif strategy == "LINEAR":
        linear = config.get("linearConfiguration", {})
        step = float(linear.get("stepPercent", 10)) or 10.0
        percent = step
        while percent < 100:
            shifts.append((percent, int(linear.get("stepBakeTimeInMinutes", 6))))
            percent += step
    shifts.append((100.0, 1))
    stages = [(name, 1, 0) for name in _BLUE_GREEN_BEFORE]
    stages += [("PRODUCTION_TRAFFIC_SHIFT", minutes, percent) for percent, minutes in shifts]
    bake = int(config.get("bakeTimeInMinutes", 0))
    stages += [(name, bake if name == "BAKE_TIME" else 1, 100) for name in _BLUE_GREEN_AFTER]
    return stages


def _deployments(backend):
    return backend.__dict__.setdefault("ecsync_service_deployments", {})


def _record(backend, service, config, source_task_definition):
    """Records a new deployment of `service` to its current state; an older unfinished one of
    the same service is superseded (STOPPED), as ECS does."""
    now = utcnow()
    # A copy: moto_server answers requests on several threads, and another stack's create
    # may record a deployment meanwhile.
    for old in list(_deployments(backend).values()):
        if old["serviceArn"] == service.arn and old["status"] not in TERMINAL:
            old["ecsync"]["stack_id"] = None  # its stack now waits on the new one
            _finish(old, "STOPPED", "Superseded by a newer service deployment.")
    ident = mock_random.get_random_string(length=21, include_digits=True, lower_case=True)
    prefix = f"arn:aws:ecs:{backend.region_name}:{backend.account_id}"
    alarms = config.get("alarms") or {}
    watched = alarms.get("alarmNames", []) if alarms.get("enable") else []
    deployment = {
        "serviceDeploymentArn":
            f"{prefix}:service-deployment/{service.cluster_name}/{service.name}/{ident}",
        "serviceArn": service.arn,
        "clusterArn": service.cluster_arn,
        "createdAt": now, "startedAt": now, "updatedAt": now,
        "sourceServiceRevisions": [],
        "targetServiceRevision": {
            "arn": f"{prefix}:service-revision/{service.cluster_name}/{service.name}/{ident}",
            "requestedTaskCount": service.desired_count,
            "requestedProductionTrafficWeight": 0.0},
        "status": "IN_PROGRESS",
        "statusReason": "",
        "deploymentConfiguration": config,
        "alarms": {"status": "MONITORING" if watched else "DISABLED", "alarmNames": watched,
                   "triggeredAlarmNames": []},
        "ecsync": {"stages": _stages(config), "index": 0, "elapsed": 0, "service": service,
                   "source_task_definition": source_task_definition,
                   "stack_id": getattr(operation, "stack_id", None), "paused": None},
    }
    if source_task_definition:
        deployment["sourceServiceRevisions"] = [{"arn": f"{prefix}:service-revision/"
                                                 f"{service.cluster_name}/{service.name}/source"}]
    _deployments(backend)[deployment["serviceDeploymentArn"]] = deployment
    _enter(deployment, 0)
    return deployment


def _enter(deployment, index):
    """Moves `deployment` to stage `index` (past the last: SUCCESSFUL), pausing there when a
    pause hook names that stage."""
    state = deployment["ecsync"]
    state["index"], state["elapsed"], state["paused"] = index, 0, None
    state["approval_parameter"] = None
    deployment["updatedAt"] = utcnow()
    if index >= len(state["stages"]):
        deployment["targetServiceRevision"]["requestedProductionTrafficWeight"] = 100.0
        _finish(deployment, "SUCCESSFUL", "Service deployment completed successfully.")
        return
    stage, _, percent = state["stages"][index]
    deployment["lifecycleStage"] = stage
    deployment["targetServiceRevision"]["requestedProductionTrafficWeight"] = float(percent)
    following = state["stages"][index + 1][0] if index + 1 < len(state["stages"]) else ""
    for n, hook in enumerate(deployment["deploymentConfiguration"].get("lifecycleHooks", [])):
        named = hook.get("lifecycleStages", [])
        pre_shift = ("PRE_PRODUCTION_TRAFFIC_SHIFT" in named and stage != following
                     and following == "PRODUCTION_TRAFFIC_SHIFT")
        if is_pause_hook(hook) and (stage in named or pre_shift):
            if stage == "PRODUCTION_TRAFFIC_SHIFT" and index and \
                    state["stages"][index - 1][0] == stage:
                continue  # a shift in steps pauses before its first step only
            state["paused"] = {"hookId": f"{deployment['serviceDeploymentArn'].split('/')[-1]}"
                                         f"-{n}-{index}",
                               "targetType": "PAUSE", "status": "AWAITING_ACTION"}
            state["approval_parameter"] = _approval_parameter(hook)
            return


def _finish(deployment, status, reason):
    now = utcnow()
    deployment.update(status=status, statusReason=reason, finishedAt=now, updatedAt=now)
    deployment["ecsync"]["paused"] = None
    if deployment["alarms"]["status"] == "MONITORING":
        deployment["alarms"]["status"] = "MONITORING_COMPLETE"
    if status == "STOPPED":
        deployment["stoppedAt"] = now
    if status.startswith("ROLLBACK_") and "rollback" not in deployment:
        _note_rollback(deployment, reason, now)
    if status == "ROLLBACK_SUCCESSFUL":
        previous = deployment["ecsync"]["source_task_definition"]
        if previous:
            deployment["ecsync"]["service"].task_definition = previous
    if status in ("ROLLBACK_SUCCESSFUL", "STOPPED"):
        for hook in on_failed:
            hook(deployment)


def _note_rollback(deployment, reason, now):
    source = (deployment["sourceServiceRevisions"] or [{}])[0]
    deployment["rollback"] = {"reason": reason, "startedAt": now,
                              "serviceRevisionArn": source.get("arn", "")}


def _roll_back(deployment, reason, at_once):
    if at_once:
        _finish(deployment, "ROLLBACK_SUCCESSFUL", reason)
        return
    now = utcnow()
    deployment.update(status="ROLLBACK_IN_PROGRESS", statusReason=reason, updatedAt=now)
    _note_rollback(deployment, reason, now)
    deployment["ecsync"]["paused"] = None


def _advance(deployment, minutes=None, steps=None):
    state = deployment["ecsync"]
    _check_approval(deployment)
    if deployment["status"] in TERMINAL:
        return
    if deployment["status"] == "ROLLBACK_IN_PROGRESS":
        _finish(deployment, "ROLLBACK_SUCCESSFUL", deployment["statusReason"])
        return
    if steps is not None:
        for _ in range(steps):
            if deployment["status"] in TERMINAL or state["paused"]:
                return
            _enter(deployment, state["index"] + 1)
        return
    left = minutes
    while deployment["status"] not in TERMINAL and not state["paused"]:
        need = state["stages"][state["index"]][1] - state["elapsed"]
        if left < need:
            state["elapsed"] += left
            return
        left -= need
        _enter(deployment, state["index"] + 1)


def all_deployments():
    for account in list(ecs_backends.values()):
        for backend in list(account.values()):
            yield from list(_deployments(backend).values())


def _find(backend, arn):
    deployment = _deployments(backend).get(arn)
    if deployment is None:
        raise ServiceDeploymentNotFound(f"Service deployment {arn} not found.")
    return deployment


def _visible(deployment):
    out = {k: v for k, v in deployment.items() if k != "ecsync"}
    paused = deployment["ecsync"]["paused"]
    if paused:
        out["lifecycleHookDetails"] = [paused]
    return out


# ---- the four ECS actions ----

def _list_service_deployments(self):
    service = self.ecs_backend._get_service(self._get_param("cluster", "default"),
                                            self._get_param("service").split("/")[-1])
    wanted = self._get_param("status") or []
    briefs = [{k: d[k] for k in ("serviceDeploymentArn", "serviceArn", "clusterArn", "startedAt",
                                 "createdAt", "finishedAt", "status", "statusReason") if k in d}
              | {"targetServiceRevisionArn": d["targetServiceRevision"]["arn"]}
              for d in _deployments(self.ecs_backend).values()
              if d["serviceArn"] == service.arn and (not wanted or d["status"] in wanted)]
    briefs.sort(key=lambda b: b["createdAt"], reverse=True)  # newest first, as ECS lists them
    return ActionResult({"serviceDeployments": briefs})


def _describe_service_deployments(self):
    found, failures = [], []
    for arn in self._get_param("serviceDeploymentArns", []):
        deployment = _deployments(self.ecs_backend).get(arn)
        if deployment is None:
            failures.append({"arn": arn, "reason": "MISSING"})
        else:
            _check_approval(deployment)
            found.append(_visible(deployment))
    return ActionResult({"serviceDeployments": found, "failures": failures})


def _continue_service_deployment(self):
    arn = self._get_param("serviceDeploymentArn")
    deployment = _find(self.ecs_backend, arn)
    paused = deployment["ecsync"]["paused"]
    if not paused or paused["hookId"] != self._get_param("hookId"):
        raise InvalidParameterException("The service deployment is not waiting on that hook.")
    if self._get_param("action", "CONTINUE") == "ROLLBACK":
        _roll_back(deployment, "Service deployment rolled back by the approver at lifecycle "
                               f"stage {deployment['lifecycleStage']}.", at_once=True)
    else:
        _enter(deployment, deployment["ecsync"]["index"] + 1)
    return ActionResult({"serviceDeploymentArn": arn})


def _stop_service_deployment(self):
    arn = self._get_param("serviceDeploymentArn")
    deployment = _find(self.ecs_backend, arn)
    if deployment["status"] not in TERMINAL:
        if self._get_param("stopType", "ROLLBACK") == "ROLLBACK":
            _roll_back(deployment, "Service deployment rolled back by StopServiceDeployment.",
                       at_once=True)
        else:
            _finish(deployment, "STOPPED", "Service deployment stopped by StopServiceDeployment.")
    return ActionResult({"serviceDeploymentArn": arn})


# ---- recording: the ECS API and AWS::ECS::Service ----

def snapshot(service):
    return (getattr(service, "ecsync_task_definition", service.task_definition),
            service.desired_count,
            getattr(service, "deployment_configuration", None))


def record_if_changed(backend, service, config, before):
    if config is not None:
        service.deployment_configuration = _camel(config)
    if before is None or snapshot(service) != before:
        _record(backend, service, getattr(service, "deployment_configuration", None) or {},
                before[0] if before else None)


def _wrap_api():
    responses = ecs_responses.EC2ContainerServiceResponse
    original_create, original_update = responses.create_service, responses.update_service

    def create_service(self):
        result = original_create(self)
        service = self.ecs_backend._get_service(self._get_param("cluster", "default"),
                                                self._get_param("serviceName"))
        record_if_changed(self.ecs_backend, service, self._get_param("deploymentConfiguration"),
                           None)
        return result

    def update_service(self):
        service = self.ecs_backend._get_service(self._get_param("cluster", "default"),
                                                self._get_param("service").split("/")[-1])
        before = snapshot(service)
        config = self._get_param("deploymentConfiguration")
        result = original_update(self)
        record_if_changed(self.ecs_backend, service, config, before)
        return result

    responses.create_service, responses.update_service = create_service, update_service
    responses.list_service_deployments = _list_service_deployments
    responses.describe_service_deployments = _describe_service_deployments
    responses.continue_service_deployment = _continue_service_deployment
    responses.stop_service_deployment = _stop_service_deployment

# ---- the test-control endpoints ----

def _body(request, headers):
    """The JSON body of a werkzeug request (as moto_server hands it) or of a prepared one."""
    if hasattr(request, "environ"):
        size = int(headers.get("Content-Length") or 0)
        data = request.environ["wsgi.input"].read(size) if size else b""
    else:
        data = request.body
    return json.loads(data or b"{}")


def _summary():
    return {"deployments": [
        {"serviceDeploymentArn": d["serviceDeploymentArn"], "status": d["status"],
         "lifecycleStage": d.get("lifecycleStage", ""),
         "productionTrafficPercent":
             d["targetServiceRevision"]["requestedProductionTrafficWeight"]}
        for d in all_deployments()]}


def _advance_response(request, full_url, headers):
    body = _body(request, headers)
    for deployment in all_deployments():
        if deployment["status"] not in TERMINAL:
            if "steps" in body:
                _advance(deployment, steps=int(body["steps"]))
            else:
                _advance(deployment, minutes=float(body.get("minutes", 1)))
    return 200, {"Content-Type": "application/json"}, json.dumps(_summary(), default=str)


def _alarm_response(request, full_url, headers):
    body = _body(request, headers)
    if body.get("state", "ALARM") == "ALARM":
        for deployment in all_deployments():
            alarms = deployment["alarms"]
            if deployment["status"] in TERMINAL or body["name"] not in alarms["alarmNames"]:
                continue
            alarms["status"] = "TRIGGERED"
            alarms["triggeredAlarmNames"].append(body["name"])
            if (deployment["deploymentConfiguration"].get("alarms") or {}).get("rollback"):
                _roll_back(deployment, "Service deployment rolled back because the CloudWatch "
                                       f"alarm(s) {body['name']} went into ALARM state.",
                           at_once=False)
    return 200, {"Content-Type": "application/json"}, json.dumps(_summary(), default=str)


_advance_response.__name__ = "ecsync_ecs_advance"  # moto names each flask endpoint by its view
_alarm_response.__name__ = "ecsync_ecs_alarm"
moto_api_urls.url_paths["{0}/moto-api/ecsync/ecs/advance"] = _advance_response
moto_api_urls.url_paths["{0}/moto-api/ecsync/ecs/alarm"] = _alarm_response


_wrap_api()
