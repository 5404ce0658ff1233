"""CloudFormation's side of the ECS service deployments of moto_ecs_deployments.py.

An AWS::ECS::Service created or updated by a stack records its deployment there, with the
template's DeploymentConfiguration (moto's model drops it). A stack update that modifies a
task definition modifies the services whose TaskDefinition is a Ref to it too, as
CloudFormation does (moto only updates a resource whose own JSON changed).

A deployment recorded by a stack operation that is held (not ROLLING, or with a pause hook)
keeps that stack's DescribeStacks status at CREATE_/UPDATE_IN_PROGRESS until it is terminal;
SUCCESSFUL leaves the stack's own status; a rollback makes it ROLLBACK_COMPLETE (create) or
UPDATE_ROLLBACK_COMPLETE (update), with an UPDATE_FAILED (CREATE_FAILED) event on the service
carrying ECS's reason. A nested stack's deployments hold its parent (and root) the same way, as
CloudFormation's parent waits for its nested stacks, and its rollback fails the parent with the
stack resource's UPDATE_FAILED (CREATE_FAILED) event saying so. install_stack_hold() installs the held status (moto_ecsync calls it
last, over any other status override).
"""
from moto.cloudformation import parsing as cfn_parsing
from moto.ecs.models import Service, ecs_backends

import moto_ecs_deployments as core


def _note_task_definition(service, properties):
    """Keeps the template's task definition ARN for snapshot: moto's update sets the service's
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
        if not getattr(core.operation, "updating", False):
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
        core.record_if_changed(ecs_backends[account_id][region_name], service, config, None)
        return service

    def update(cls, original_resource, new_resource_name, cloudformation_json, account_id,
               region_name):
        before = core.snapshot(original_resource)
        # moto compares the cluster's ARN with an ARN it builds from this value as a name, so
        # a cluster given by ARN (Fn::GetAtt Cluster.Arn, as CloudFormation allows) would make
        # every update delete and create the service again; CloudFormation updates it in place.
        properties = cloudformation_json.get("Properties", {})
        cluster = properties.get("Cluster")
        if isinstance(cluster, str) and cluster.startswith("arn:") and ":cluster/" in cluster:
            properties["Cluster"] = cluster.split(":cluster/", 1)[1]
        service = original_update(cls, original_resource, new_resource_name,
                                  cloudformation_json, account_id, region_name)
        _note_task_definition(service, cloudformation_json["Properties"])
        config = cloudformation_json["Properties"].get("DeploymentConfiguration") or {}
        core.record_if_changed(ecs_backends[account_id][region_name], service, config,
                           before if service is original_resource else None)
        return service

    Service.create_from_cloudformation_json = classmethod(create)
    Service.update_from_cloudformation_json = classmethod(update)

    # Which stack a deployment belongs to: the stack whose resources are being created or
    # updated in this thread when the service's model is called.
    for name in ("create", "update"):
        original = getattr(cfn_parsing.ResourceMap, name)

        def run(self, *args, _original=original, **kwargs):
            # A new operation: the finished deployments of earlier ones (its nested stacks'
            # too) no longer speak for it.
            family = _family(self.stack_id)
            for deployment in core.all_deployments():
                if deployment["ecsync"]["stack_id"] in family and \
                        deployment["status"] in core.TERMINAL:
                    deployment["ecsync"]["stack_id"] = None
            # A nested stack runs inside its parent.
            now = core.operation
            outer = (getattr(now, "stack_id", None), getattr(now, "updating", False))
            now.stack_id, now.updating = self.stack_id, _original.__name__ == "update"
            try:
                return _original(self, *args, **kwargs)
            finally:
                now.stack_id, now.updating = outer

        setattr(cfn_parsing.ResourceMap, name, run)


# ---- CloudFormation stacks held by their deployments ----

def _backend_of(stack_id):
    from moto.cloudformation.models import cloudformation_backends

    account, region = stack_id.split(":")[4], stack_id.split(":")[3]
    return cloudformation_backends[account][region]


def _family(stack_id):
    """The IDs of the stack and of its nested stacks, at any depth."""
    if not stack_id:
        return set()
    stacks = list(_backend_of(stack_id).stacks.values())
    family = {stack_id}
    grew = True
    while grew:
        grew = False
        for stack in stacks:
            if stack.parent_id in family and stack.stack_id not in family:
                family.add(stack.stack_id)
                grew = True
    return family


def _stack_deployments(stack):
    family = _family(stack.stack_id)
    for deployment in core.all_deployments():
        if deployment["ecsync"]["stack_id"] in family and deployment["ecsync"]["stages"]:
            yield deployment


def _fail_stack(deployment):
    """Adds the failed service's event and the stack's rollback events to its stack, once, and
    to each parent the failure of its nested stack's resource with its own rollback events."""
    from moto.cloudformation.models import Event

    stack_id = deployment["ecsync"]["stack_id"]
    if not stack_id or not deployment["ecsync"]["stages"]:
        return
    backend = _backend_of(stack_id)
    stack = backend.stacks.get(stack_id)
    service = deployment["ecsync"]["service"]
    failed_resource = (service, service.arn, "AWS::ECS::Service", deployment["statusReason"])
    while stack is not None:
        resource, physical, kind, reason = failed_resource
        logical = next((key for key, value in stack.resource_map._parsed_resources.items()
                        if value is resource), getattr(resource, "name", physical))
        creating = stack.__dict__.get("_ecsync_real", "").startswith("CREATE")
        failed = "CREATE_FAILED" if creating else "UPDATE_FAILED"
        stack.events.append(Event(stack_id=stack.stack_id, stack_name=stack.name,
                                  logical_resource_id=logical, physical_resource_id=physical,
                                  resource_type=kind, resource_status=failed,
                                  resource_status_reason=reason, resource_properties=None))
        prefix = "" if creating else "UPDATE_"
        cause = (f"The following resource(s) failed to {'create' if creating else 'update'}: "
                 f"[{logical}].")
        stack._add_stack_event(f"{prefix}ROLLBACK_IN_PROGRESS", resource_status_reason=cause)
        stack._add_stack_event(f"{prefix}ROLLBACK_COMPLETE")
        failed_resource = (stack, stack.stack_id, "AWS::CloudFormation::Stack",
                           f"Embedded stack {stack.stack_id} was not successfully "
                           f"{'created' if creating else 'updated'}: {cause}")
        stack = backend.stacks.get(stack.parent_id) if stack.parent_id else None


def held_status(stack, real):
    """The status DescribeStacks reports for `stack` whose moto status is `real`."""
    if real not in ("CREATE_COMPLETE", "UPDATE_COMPLETE"):
        return real
    kind = real.split("_")[0]
    latest = {}
    for deployment in _stack_deployments(stack):
        latest[deployment["serviceArn"]] = deployment  # recorded in order: the last one counts
    statuses = [d["status"] for d in latest.values()]
    if any(s not in core.TERMINAL for s in statuses):
        return f"{kind}_IN_PROGRESS"
    if any(s in ("ROLLBACK_SUCCESSFUL", "STOPPED") for s in statuses):
        return "ROLLBACK_COMPLETE" if kind == "CREATE" else "UPDATE_ROLLBACK_COMPLETE"
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


_wrap_cloudformation()
_redeploy_on_new_task_definition()
core.on_failed.append(_fail_stack)
