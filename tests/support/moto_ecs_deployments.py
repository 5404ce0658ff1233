"""ECS service deployments on moto's own ECS backend, on a clock the test moves (imported by moto_ecsync).

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
by the approver"). StopServiceDeployment ROLLBACK rolls back at once, ABORT stops (STOPPED).
A rollback puts the service's previous task definition back.

CloudFormation: a deployment recorded by a stack operation that is held (not ROLLING, or with a
pause hook) keeps that stack's DescribeStacks status at CREATE_/UPDATE_IN_PROGRESS until it is
terminal; SUCCESSFUL leaves the stack's own status; a rollback makes it ROLLBACK_COMPLETE (create)
or UPDATE_ROLLBACK_COMPLETE (update), with an UPDATE_FAILED (CREATE_FAILED) event on the service
carrying ECS's reason. install_stack_hold() installs that part (moto_ecsync calls it last).
"""
import json
import threading

from moto.cloudformation import parsing as cfn_parsing
from moto.core.exceptions import ServiceException
from moto.core.responses import ActionResult
from moto.core.utils import utcnow
from moto.ecs import responses as ecs_responses
from moto.ecs.exceptions import InvalidParameterException
from moto.ecs.models import Service, ecs_backends
from moto.moto_api._internal import mock_random
from moto.moto_api._internal import urls as moto_api_urls

TERMINAL = ("SUCCESSFUL", "STOPPED", "ROLLBACK_SUCCESSFUL", "ROLLBACK_FAILED")
_BLUE_GREEN_BEFORE = ["PRE_SCALE_UP", "SCALE_UP", "POST_SCALE_UP", "TEST_TRAFFIC_SHIFT",
                      "POST_TEST_TRAFFIC_SHIFT"]
_BLUE_GREEN_AFTER = ["POST_PRODUCTION_TRAFFIC_SHIFT", "BAKE_TIME", "CLEAN_UP"]

_operation = threading.local()  # stack_id of the CloudFormation operation running in this thread


class ServiceDeploymentNotFound(ServiceException):
    code = "ServiceDeploymentNotFoundException"
    # moto serializes an error with the model of the service its module names.
    __module__ = "moto.ecs.ecsync"


def is_pause_hook(hook):
    """Whether a lifecycle hook is a manual approval: TargetType PAUSE, or ecsync's own marker
    HookDetails {"ecsync": "approval"} (for templates that cannot say PAUSE)."""
    if hook.get("targetType") == "PAUSE":
        return True
    details = hook.get("hookDetails")
    if isinstance(details, str):
        try:
            details = json.loads(details)
        except ValueError:
            return False
    return isinstance(details, dict) and details.get("ecsync") == "approval"


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
    for old in _deployments(backend).values():
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
                   "stack_id": getattr(_operation, "stack_id", None), "paused": None},
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
            return


def _finish(deployment, status, reason):
    now = utcnow()
    deployment.update(status=status, statusReason=reason, finishedAt=now, updatedAt=now)
    deployment["ecsync"]["paused"] = None
    if deployment["alarms"]["status"] == "MONITORING":
        deployment["alarms"]["status"] = "MONITORING_COMPLETE"
    if status == "STOPPED":
        deployment["stoppedAt"] = now
    if status.startswith("ROLLBACK_"):
        deployment.setdefault("rollback", {"reason": reason, "startedAt": now,
                                           "serviceRevisionArn": (deployment["sourceServiceRevisions"]
                                                                  or [{}])[0].get("arn", "")})
    if status == "ROLLBACK_SUCCESSFUL":
        previous = deployment["ecsync"]["source_task_definition"]
        if previous:
            deployment["ecsync"]["service"].task_definition = previous
    if status in ("ROLLBACK_SUCCESSFUL", "STOPPED"):
        _fail_stack(deployment)


def _roll_back(deployment, reason, at_once):
    if at_once:
        _finish(deployment, "ROLLBACK_SUCCESSFUL", reason)
        return
    now = utcnow()
    deployment.update(status="ROLLBACK_IN_PROGRESS", statusReason=reason, updatedAt=now)
    deployment["rollback"] = {"reason": reason, "startedAt": now,
                              "serviceRevisionArn": (deployment["sourceServiceRevisions"]
                                                     or [{}])[0].get("arn", "")}
    deployment["ecsync"]["paused"] = None


def _advance(deployment, minutes=None, steps=None):
    state = deployment["ecsync"]
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


def _all_deployments():
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

def _snapshot(service):
    return (getattr(service, "ecsync_task_definition", service.task_definition),
            service.desired_count,
            getattr(service, "deployment_configuration", None))


def _record_if_changed(backend, service, config, before):
    if config is not None:
        service.deployment_configuration = _camel(config)
    if before is None or _snapshot(service) != before:
        _record(backend, service, getattr(service, "deployment_configuration", None) or {},
                before[0] if before else None)


def _wrap_api():
    responses = ecs_responses.EC2ContainerServiceResponse
    original_create, original_update = responses.create_service, responses.update_service

    def create_service(self):
        result = original_create(self)
        service = self.ecs_backend._get_service(self._get_param("cluster", "default"),
                                                self._get_param("serviceName"))
        _record_if_changed(self.ecs_backend, service, self._get_param("deploymentConfiguration"),
                           None)
        return result

    def update_service(self):
        service = self.ecs_backend._get_service(self._get_param("cluster", "default"),
                                                self._get_param("service").split("/")[-1])
        before = _snapshot(service)
        config = self._get_param("deploymentConfiguration")
        result = original_update(self)
        _record_if_changed(self.ecs_backend, service, config, before)
        return result

    responses.create_service, responses.update_service = create_service, update_service
    responses.list_service_deployments = _list_service_deployments
    responses.describe_service_deployments = _describe_service_deployments
    responses.continue_service_deployment = _continue_service_deployment
    responses.stop_service_deployment = _stop_service_deployment


def _note_task_definition(service, properties):
    """Keeps the template's task definition ARN for _snapshot: moto's update sets the service's
    task definition to the family name, the same for every revision."""
    task_definition = properties.get("TaskDefinition")
    service.ecsync_task_definition = getattr(task_definition, "arn", task_definition)


def _redeploy_on_new_task_definition():
    """While a stack updates, an AWS::ECS::Service whose TaskDefinition is a Ref to a task
    definition the update modifies is modified too, after it, as CloudFormation does (moto
    compares each resource's own JSON, so a new image alone would never reach the service).
    Change-set descriptions are left as moto makes them."""
    original = cfn_parsing.ResourceMap.build_resource_diff

    def build_resource_diff(self, other_template, parameters=None):
        diff = original(self, other_template, parameters)
        if not getattr(_operation, "updating", False):
            return diff
        resources = other_template.get("Resources", {})
        new_task_definitions = {name for name in diff["Modify"]
                                if resources[name].get("Type") == "AWS::ECS::TaskDefinition"}
        for name, resource in resources.items():
            if resource.get("Type") != "AWS::ECS::Service" or name in diff["Modify"] or \
                    name in diff["Add"]:
                continue
            task_definition = resource.get("Properties", {}).get("TaskDefinition")
            if isinstance(task_definition, dict) and \
                    task_definition.get("Ref") in new_task_definitions:
                diff["Modify"].append(name)
        return diff

    cfn_parsing.ResourceMap.build_resource_diff = build_resource_diff


def _wrap_cloudformation():
    original_create = Service.create_from_cloudformation_json.__func__
    original_update = Service.update_from_cloudformation_json.__func__

    def create(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
        service = original_create(cls, resource_name, cloudformation_json, account_id,
                                  region_name, **kwargs)
        _note_task_definition(service, cloudformation_json["Properties"])
        config = cloudformation_json["Properties"].get("DeploymentConfiguration") or {}
        _record_if_changed(ecs_backends[account_id][region_name], service, config, None)
        return service

    def update(cls, original_resource, new_resource_name, cloudformation_json, account_id,
               region_name):
        before = _snapshot(original_resource)
        service = original_update(cls, original_resource, new_resource_name,
                                  cloudformation_json, account_id, region_name)
        _note_task_definition(service, cloudformation_json["Properties"])
        config = cloudformation_json["Properties"].get("DeploymentConfiguration") or {}
        _record_if_changed(ecs_backends[account_id][region_name], service, config,
                           before if service is original_resource else None)
        return service

    Service.create_from_cloudformation_json = classmethod(create)
    Service.update_from_cloudformation_json = classmethod(update)

    # Which stack a deployment belongs to: the stack whose resources are being created or
    # updated in this thread when the service's model is called.
    for name in ("create", "update"):
        original = getattr(cfn_parsing.ResourceMap, name)

        def run(self, *args, _original=original, **kwargs):
            # A new operation: the finished deployments of earlier ones no longer speak for it.
            for deployment in _all_deployments():
                if deployment["ecsync"]["stack_id"] == self.stack_id and \
                        deployment["status"] in TERMINAL:
                    deployment["ecsync"]["stack_id"] = None
            # A nested stack runs inside its parent.
            outer = (getattr(_operation, "stack_id", None), getattr(_operation, "updating", False))
            _operation.stack_id, _operation.updating = self.stack_id, _original.__name__ == "update"
            try:
                return _original(self, *args, **kwargs)
            finally:
                _operation.stack_id, _operation.updating = outer

        setattr(cfn_parsing.ResourceMap, name, run)


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
        for d in _all_deployments()]}


def _advance_response(request, full_url, headers):
    body = _body(request, headers)
    for deployment in _all_deployments():
        if deployment["status"] not in TERMINAL:
            if "steps" in body:
                _advance(deployment, steps=int(body["steps"]))
            else:
                _advance(deployment, minutes=float(body.get("minutes", 1)))
    return 200, {"Content-Type": "application/json"}, json.dumps(_summary(), default=str)


def _alarm_response(request, full_url, headers):
    body = _body(request, headers)
    if body.get("state", "ALARM") == "ALARM":
        for deployment in _all_deployments():
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


# ---- CloudFormation stacks held by their deployments ----

def _stack_deployments(stack):
    for deployment in _all_deployments():
        if deployment["ecsync"]["stack_id"] == stack.stack_id and deployment["ecsync"]["stages"]:
            yield deployment


def _fail_stack(deployment):
    """Adds the failed service's event and the stack's rollback events to its stack, once."""
    from moto.cloudformation.models import Event, cloudformation_backends

    stack_id = deployment["ecsync"]["stack_id"]
    if not stack_id or not deployment["ecsync"]["stages"]:
        return
    account, region = stack_id.split(":")[4], stack_id.split(":")[3]
    stack = cloudformation_backends[account][region].stacks.get(stack_id)
    if stack is None:
        return
    service = deployment["ecsync"]["service"]
    logical = next((key for key, value in stack.resource_map._parsed_resources.items()
                    if value is service), service.name)
    creating = stack.__dict__.get("_ecsync_real", "").startswith("CREATE")
    failed = "CREATE_FAILED" if creating else "UPDATE_FAILED"
    stack.events.append(Event(stack_id=stack_id, stack_name=stack.name,
                              logical_resource_id=logical, physical_resource_id=service.arn,
                              resource_type="AWS::ECS::Service", resource_status=failed,
                              resource_status_reason=deployment["statusReason"],
                              resource_properties=None))
    prefix = "" if creating else "UPDATE_"
    stack._add_stack_event(f"{prefix}ROLLBACK_IN_PROGRESS", resource_status_reason=(
        f"The following resource(s) failed to {'create' if creating else 'update'}: [{logical}]."))
    stack._add_stack_event(f"{prefix}ROLLBACK_COMPLETE")


def held_status(stack, real):
    """The status DescribeStacks reports for `stack` whose moto status is `real`."""
    if real not in ("CREATE_COMPLETE", "UPDATE_COMPLETE"):
        return real
    operation = real.split("_")[0]
    latest = {}
    for deployment in _stack_deployments(stack):
        latest[deployment["serviceArn"]] = deployment  # recorded in order: the last one counts
    statuses = [d["status"] for d in latest.values()]
    if any(s not in TERMINAL for s in statuses):
        return f"{operation}_IN_PROGRESS"
    if any(s in ("ROLLBACK_SUCCESSFUL", "STOPPED") for s in statuses):
        return "ROLLBACK_COMPLETE" if operation == "CREATE" else "UPDATE_ROLLBACK_COMPLETE"
    return real


def install_stack_hold():
    """Makes Stack.status report held_status, over whatever status property is already there."""
    from moto.cloudformation.models import Stack as FakeStack

    previous = FakeStack.__dict__.get("status")
    if isinstance(previous, property):
        read, write = previous.fget, previous.fset
    else:
        def read(self):
            return self.__dict__.get("_ecsync_real")

        def write(self, value):
            self.__dict__["_ecsync_real"] = value

    def set_status(self, value):
        self.__dict__["_ecsync_real"] = value
        write(self, value)

    FakeStack.status = property(lambda self: held_status(self, read(self)), set_status)


_wrap_api()
_wrap_cloudformation()
_redeploy_on_new_task_definition()
