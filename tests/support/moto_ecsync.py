#!/usr/bin/env python3
"""moto_server, plus what ecsync needs that moto 5 lacks: Cloud Map resource types, change-set tags and nested stacks.

moto 5 implements the Cloud Map (servicediscovery) API but not its CloudFormation resource
types, so a stack holding AWS::ServiceDiscovery::PrivateDnsNamespace or ::Service fails in
plain moto_server ("Fn::GetAtt references undefined resource"). This module registers both
types with moto's CloudFormation engine, backed by moto's own servicediscovery backend (the
resources are real moto resources, visible through the servicediscovery API), and then runs
moto's server with the given arguments.

The same holds for AWS::SecretsManager::Secret and AWS::ApplicationAutoScaling::ScalableTarget
and ::ScalingPolicy: registered here too, each backed by moto's own backend for that service.

It also makes ExecuteChangeSet apply the change set's tags to the stack, as CloudFormation
does (moto keeps the stack's old tags, which would leave ecsync's revision tag stale), and
makes AWS::ElasticLoadBalancingV2::LoadBalancer honour Type (moto makes every one an
application load balancer, which refuses the TCP and UDP listeners of a network one), and
adds what the `codebuild` image builder needs of CodeBuild (moto_codebuild.py) and ECS
service deployments on a clock the tests move (moto_ecs_deployments.py, and
moto_ecs_deployment_stacks.py for their stacks), and says in each change set whether a
modified resource would be replaced (moto_change_set_replacement.py), and serves one request
at a time (moto is not thread-safe). Used by
the tests and the demo in place of `moto_server`; takes the same flags.
"""
import os
import sys

import json

from moto.applicationautoscaling.models import applicationautoscaling_backends
from moto.core.common_models import CloudFormationModel
from moto.secretsmanager.models import secretsmanager_backends
from moto.servicediscovery.models import Namespace, servicediscovery_backends

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import moto_codebuild  # noqa: E402,F401  (registers CodeBuild's additions as a side effect)
import moto_ecs_deployment_stacks  # noqa: E402  (ECS service deployments and their stacks)
import moto_change_set_replacement  # noqa: E402  (Replacement in change sets)


class _Defaults:
    """What every model here shares. A mixin, not a base class: moto registers only the
    direct subclasses of CloudFormationModel. Resources are removed by each model's
    delete(), which moto calls with the parsed resource, so the JSON-based hook is a no-op."""

    @classmethod
    def delete_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id,
                                        region_name):
        pass

    def is_created(self):
        return True


def _tags(properties):
    return [{"Key": t["Key"], "Value": t["Value"]} for t in properties.get("Tags", [])]


class CfnPrivateDnsNamespace(_Defaults, CloudFormationModel):
    # moto files every model under the service named by its module ("moto.<service>...").
    __module__ = "moto.servicediscovery.ecsync"

    def __init__(self, namespace):
        self.namespace = namespace

    @staticmethod
    def cloudformation_name_type():
        return "Name"

    @staticmethod
    def cloudformation_type():
        return "AWS::ServiceDiscovery::PrivateDnsNamespace"

    @classmethod
    def has_cfn_attr(cls, attr):
        return attr in ("Arn", "Id", "HostedZoneId")

    @classmethod
    def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id,
                                        region_name, **kwargs):
        props = cloudformation_json["Properties"]
        backend = servicediscovery_backends[account_id][region_name]
        # AWS allows several namespaces per VPC (one per domain name); moto's API call refuses a
        # second one in the same VPC, so build the namespace the way that call does, minus the check.
        namespace = Namespace(account_id=account_id, region=region_name, name=props["Name"],
                              ns_type="DNS_PRIVATE", creator_request_id=resource_name,
                              description=props.get("Description", ""),
                              dns_properties={}, http_properties={}, vpc=props["Vpc"])
        backend.namespaces[namespace.id] = namespace
        if props.get("Tags"):
            backend.tagger.tag_resource(namespace.arn, _tags(props))
        return cls(namespace)

    @classmethod
    def update_from_cloudformation_json(cls, original_resource, new_resource_name,
                                        cloudformation_json, account_id, region_name):
        props = cloudformation_json["Properties"]
        original_resource.namespace.description = props.get("Description", "")
        return original_resource

    def delete(self, account_id, region_name):
        servicediscovery_backends[account_id][region_name].namespaces.pop(self.namespace.id, None)

    @property
    def physical_resource_id(self):
        return self.namespace.id

    def get_cfn_attribute(self, attribute_name):
        if attribute_name == "Arn":
            return self.namespace.arn
        if attribute_name == "Id":
            return self.namespace.id
        return "Z" + self.namespace.id[3:17].upper()


class CfnDiscoveryService(_Defaults, CloudFormationModel):
    __module__ = "moto.servicediscovery.ecsync"

    def __init__(self, service):
        self.service = service

    @staticmethod
    def cloudformation_name_type():
        return "Name"

    @staticmethod
    def cloudformation_type():
        return "AWS::ServiceDiscovery::Service"

    @classmethod
    def has_cfn_attr(cls, attr):
        return attr in ("Arn", "Id", "Name")

    @classmethod
    def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id,
                                        region_name, **kwargs):
        props = cloudformation_json["Properties"]
        dns_config = props.get("DnsConfig", {})
        backend = servicediscovery_backends[account_id][region_name]
        service = backend.create_service(
            name=props.get("Name", resource_name),
            namespace_id=props.get("NamespaceId") or dns_config.get("NamespaceId"),
            creator_request_id=resource_name,
            description=props.get("Description", ""),
            dns_config=dns_config,
            health_check_config=props.get("HealthCheckConfig"),
            health_check_custom_config=props.get("HealthCheckCustomConfig"),
            tags=_tags(props),
            service_type="DNS_HTTP",
        )
        return cls(service)

    @classmethod
    def update_from_cloudformation_json(cls, original_resource, new_resource_name,
                                        cloudformation_json, account_id, region_name):
        return original_resource

    def delete(self, account_id, region_name):
        servicediscovery_backends[account_id][region_name].delete_service(self.service.id)

    @property
    def physical_resource_id(self):
        return self.service.id

    def get_cfn_attribute(self, attribute_name):
        if attribute_name == "Arn":
            return self.service.arn
        if attribute_name == "Id":
            return self.service.id
        return self.service.name


class CfnSecret(_Defaults, CloudFormationModel):
    """AWS::SecretsManager::Secret: Ref is the secret's ARN, as in CloudFormation."""
    __module__ = "moto.secretsmanager.ecsync"

    def __init__(self, arn, name):
        self.arn = arn
        self.name = name

    @staticmethod
    def cloudformation_name_type():
        return "Name"

    @staticmethod
    def cloudformation_type():
        return "AWS::SecretsManager::Secret"

    @classmethod
    def has_cfn_attr(cls, attr):
        return attr in ("Id",)

    @classmethod
    def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id,
                                        region_name, **kwargs):
        props = cloudformation_json["Properties"]
        backend = secretsmanager_backends[account_id][region_name]
        name = props.get("Name", resource_name)
        created = json.loads(backend.create_secret(
            name=name, secret_string=props.get("SecretString"), secret_binary=None,
            description=props.get("Description"), tags=_tags(props),
            kms_key_id=props.get("KmsKeyId"), client_request_token=None, replica_regions=[],
            force_overwrite=False))
        return cls(created["ARN"], name)

    @classmethod
    def update_from_cloudformation_json(cls, original_resource, new_resource_name,
                                        cloudformation_json, account_id, region_name):
        props = cloudformation_json["Properties"]
        if "SecretString" in props:
            secretsmanager_backends[account_id][region_name].put_secret_value(
                secret_id=original_resource.arn, secret_string=props["SecretString"],
                secret_binary=None, client_request_token=None, version_stages=["AWSCURRENT"])
        return original_resource

    def delete(self, account_id, region_name):
        secretsmanager_backends[account_id][region_name].delete_secret(
            secret_id=self.arn, recovery_window_in_days=None, force_delete_without_recovery=True)

    @property
    def physical_resource_id(self):
        return self.arn

    def get_cfn_attribute(self, attribute_name):
        return self.arn


class CfnScalableTarget(_Defaults, CloudFormationModel):
    """AWS::ApplicationAutoScaling::ScalableTarget: Ref is "resource|dimension|namespace"."""
    __module__ = "moto.applicationautoscaling.ecsync"

    def __init__(self, target):
        self.target = target

    @staticmethod
    def cloudformation_name_type():
        return ""

    @staticmethod
    def cloudformation_type():
        return "AWS::ApplicationAutoScaling::ScalableTarget"

    @classmethod
    def has_cfn_attr(cls, attr):
        return attr in ("Id",)

    @classmethod
    def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id,
                                        region_name, **kwargs):
        props = cloudformation_json["Properties"]
        backend = applicationautoscaling_backends[account_id][region_name]
        target = backend.register_scalable_target(
            namespace=props["ServiceNamespace"], r_id=props["ResourceId"],
            dimension=props["ScalableDimension"], min_capacity=int(props["MinCapacity"]),
            max_capacity=int(props["MaxCapacity"]), role_arn=props.get("RoleARN"),
            suspended_state=props.get("SuspendedState"))
        return cls(target)

    @classmethod
    def update_from_cloudformation_json(cls, original_resource, new_resource_name,
                                        cloudformation_json, account_id, region_name):
        props = cloudformation_json["Properties"]
        original_resource.target.update(int(props["MinCapacity"]), int(props["MaxCapacity"]),
                                        props.get("SuspendedState"))
        return original_resource

    def delete(self, account_id, region_name):
        t = self.target
        applicationautoscaling_backends[account_id][region_name].deregister_scalable_target(
            t.service_namespace, t.resource_id, t.scalable_dimension)

    @property
    def physical_resource_id(self):
        t = self.target
        return f"{t.resource_id}|{t.scalable_dimension}|{t.service_namespace}"

    def get_cfn_attribute(self, attribute_name):
        return self.physical_resource_id


class CfnScalingPolicy(_Defaults, CloudFormationModel):
    """AWS::ApplicationAutoScaling::ScalingPolicy, attached through ScalingTargetId."""
    __module__ = "moto.applicationautoscaling.ecsync"

    def __init__(self, policy):
        self.policy = policy

    @staticmethod
    def cloudformation_name_type():
        return "PolicyName"

    @staticmethod
    def cloudformation_type():
        return "AWS::ApplicationAutoScaling::ScalingPolicy"

    @classmethod
    def has_cfn_attr(cls, attr):
        return attr in ("Arn",)

    @classmethod
    def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id,
                                        region_name, **kwargs):
        props = cloudformation_json["Properties"]
        if "ScalingTargetId" in props:
            resource_id, dimension, namespace = props["ScalingTargetId"].split("|")
        else:
            resource_id = props["ResourceId"]
            dimension = props["ScalableDimension"]
            namespace = props["ServiceNamespace"]
        body = {key: props[key] for key in ("TargetTrackingScalingPolicyConfiguration",
                                            "StepScalingPolicyConfiguration") if key in props}
        policy = applicationautoscaling_backends[account_id][region_name].put_scaling_policy(
            policy_name=props.get("PolicyName", resource_name), service_namespace=namespace,
            resource_id=resource_id, scalable_dimension=dimension, policy_body=body,
            policy_type=props.get("PolicyType"))
        return cls(policy)

    @classmethod
    def update_from_cloudformation_json(cls, original_resource, new_resource_name,
                                        cloudformation_json, account_id, region_name):
        return cls.create_from_cloudformation_json(new_resource_name, cloudformation_json,
                                                   account_id, region_name)

    def delete(self, account_id, region_name):
        p = self.policy
        applicationautoscaling_backends[account_id][region_name].delete_scaling_policy(
            p.policy_name, p.service_namespace, p.resource_id, p.scalable_dimension)

    @property
    def physical_resource_id(self):
        return self.policy.policy_arn

    def get_cfn_attribute(self, attribute_name):
        return self.policy.policy_arn


def _apply_change_set_tags():
    from moto.cloudformation.models import CloudFormationBackend

    original = CloudFormationBackend.execute_change_set

    def execute_change_set(self, change_set_name, stack_name=None):
        change_set = self.describe_change_set(change_set_name)
        original(self, change_set_name, stack_name)
        if change_set.tags:
            self.stacks[change_set.stack_id].tags = dict(change_set.tags)

    CloudFormationBackend.execute_change_set = execute_change_set


_apply_change_set_tags()
moto_change_set_replacement.install()


def _typed_load_balancers():
    """AWS::ElasticLoadBalancingV2::LoadBalancer with its Type, IpAddressType and Tags.

    moto's model passes neither Type nor Tags to its ELBv2 backend, so every load balancer is
    an application one, and a network load balancer's TCP listener is refused ("Listener
    protocol 'TCP' must be one of 'HTTP, HTTPS'"). This creates it through the same backend
    call the CreateLoadBalancer API makes, with the template's properties, so listeners and
    target groups are validated as for that type and the ELBv2 API reports it as such.
    """
    from moto.elbv2.models import FakeLoadBalancer, elbv2_backends

    def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id,
                                        region_name, **kwargs):
        props = cloudformation_json["Properties"]
        return elbv2_backends[account_id][region_name].create_load_balancer(
            name=resource_name,
            security_groups=props.get("SecurityGroups", []),  # a network one may have none
            subnet_ids=props.get("Subnets", []),
            subnet_mappings=props.get("SubnetMappings", []),
            scheme=props.get("Scheme", "internet-facing"),
            loadbalancer_type=props.get("Type", "application"),
            ip_address_type=props.get("IpAddressType", "ipv4"),
            tags=_tags(props),
        )

    FakeLoadBalancer.create_from_cloudformation_json = classmethod(
        create_from_cloudformation_json)


_typed_load_balancers()


def _weighted_listener_actions():
    """A listener's forward action by ForwardConfig alone, as in the API.

    From a template, moto reads a forward action's TargetGroupArn only (KeyError without
    one), so a listener forwarding to two weighted groups (blue/green behind a network load
    balancer) could not be created. Such an action is passed on as the API would take it.
    """
    from moto.elbv2.models import ELBv2Backend

    original = ELBv2Backend.convert_and_validate_properties

    def convert_and_validate_properties(self, properties):
        actions = properties.get("DefaultActions") or []
        weighted = {i: a for i, a in enumerate(actions)
                    if a.get("Type") == "forward" and "TargetGroupArn" not in a
                    and "ForwardConfig" in a}
        if not weighted:
            return original(self, properties)
        rest = dict(properties, DefaultActions=[a for i, a in enumerate(actions)
                                                if i not in weighted])
        converted = iter(original(self, rest))
        return [weighted[i] if i in weighted else next(converted) for i in range(len(actions))]

    ELBv2Backend.convert_and_validate_properties = convert_and_validate_properties


_weighted_listener_actions()


def _nested_stacks():
    """AWS::CloudFormation::Stack (nested stacks) as CloudFormation runs them.

    moto 5 creates a nested stack under its logical ID as its name (two projects' nested
    "Services1Stack" collide), without its parent's tags, ParentId or RootId, fails on
    Fn::GetAtt [Stack, Outputs.X] (its Stack model has no get_cfn_attribute), answers Ref
    with the name instead of the StackId, and updates one by deleting and creating it again.
    Here a nested stack is created through moto's own create_stack, named
    <parent>-<logical id>-<suffix> as CloudFormation names it, with its root's tags and
    ParentId/RootId (DescribeStacks reports them); Outputs.X reads its outputs, Ref is its
    StackId, an update updates it in place with the template its TemplateURL names, and the
    tags a change set applies to a stack reach its nested stacks too.
    """
    import random
    import string

    from moto.cloudformation.exceptions import UnformattedGetAttTemplateException
    from moto.cloudformation.models import CloudFormationBackend, cloudformation_backends
    from moto.cloudformation.models import Stack as FakeStack
    from moto.cloudformation.utils import get_stack_from_s3_url
    from moto.utilities.utils import get_partition

    def template_of(props, account_id, region_name):
        return get_stack_from_s3_url(props["TemplateURL"], account_id=account_id,
                                     partition=get_partition(region_name))

    def parameters_of(props):
        # CloudFormation passes every nested parameter as a string; lists joined by commas.
        out = {}
        for key, value in props.get("Parameters", {}).items():
            out[key] = ",".join(map(str, value)) if isinstance(value, list) else str(value)
        return out

    def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id,
                                        region_name, **kwargs):
        backend = cloudformation_backends[account_id][region_name]
        parent = backend.stacks[kwargs["StackId"]]
        props = cloudformation_json["Properties"]
        suffix = "".join(random.choices(string.ascii_uppercase + string.digits, k=12))
        child = backend.create_stack(
            name=f"{parent.name}-{kwargs['LogicalId']}-{suffix}",
            template=template_of(props, account_id, region_name),
            parameters=parameters_of(props), tags=dict(parent.tags))
        child.parent_id = parent.stack_id
        child.root_id = getattr(parent, "root_id", None) or parent.stack_id
        return child

    def update_from_cloudformation_json(cls, original_resource, new_resource_name,
                                        cloudformation_json, account_id, region_name):
        backend = cloudformation_backends[account_id][region_name]
        props = cloudformation_json["Properties"]
        parent = backend.stacks.get(getattr(original_resource, "parent_id", ""))
        original_resource.update(template_of(props, account_id, region_name),
                                 parameters=parameters_of(props),
                                 tags=dict(parent.tags) if parent else None)
        return original_resource

    def get_cfn_attribute(self, attribute_name):
        if attribute_name.startswith("Outputs."):
            key = attribute_name[len("Outputs."):]
            for output in self.output_map.values():
                if output and output.key == key:
                    return output.value
        raise UnformattedGetAttTemplateException()

    FakeStack.create_from_cloudformation_json = classmethod(create_from_cloudformation_json)
    FakeStack.update_from_cloudformation_json = classmethod(update_from_cloudformation_json)
    FakeStack.get_cfn_attribute = get_cfn_attribute
    FakeStack.physical_resource_id = property(lambda self: self.stack_id)
    FakeStack.parent_id = None
    FakeStack.root_id = None

    original_execute = CloudFormationBackend.execute_change_set

    def execute_change_set(self, change_set_name, stack_name=None):
        original_execute(self, change_set_name, stack_name)
        root = self.describe_change_set(change_set_name).stack_id
        for stack in self.stacks.values():
            if stack.root_id == root:
                stack.tags = dict(self.stacks[root].tags)

    CloudFormationBackend.execute_change_set = execute_change_set


_nested_stacks()


def _slow_creates(seconds):
    """Fault injection for restart tests: a new stack reports CREATE_IN_PROGRESS for `seconds`.

    moto creates every resource synchronously, so a stack is CREATE_COMPLETE before ecsync's
    first poll; tests of "interrupted while waiting" need a window in which the create is
    still running. Set ECSYNC_MOTO_SLOW_CREATE_SECONDS to open one. Only the reported status
    changes; the resources exist from the start, as moto made them.

    POST /moto-api/ecsync/cloudformation/finish-creates ends the window for every stack, now
    and later: a test that must see a create in progress before it ends (however slow the
    machine) sets a long window and finishes the creates once it has seen what it waits for.
    """
    import time

    from moto.cloudformation.models import Stack as FakeStack
    from moto.moto_api._internal import urls as moto_api_urls

    finished = [False]

    def get_status(self):
        real = self.__dict__.get("_ecsync_status")
        born = self.__dict__.get("_ecsync_born")
        if (real == "CREATE_COMPLETE" and born is not None and not finished[0] and
                time.time() - born < seconds):
            return "CREATE_IN_PROGRESS"
        return real

    def set_status(self, value):
        if "_ecsync_born" not in self.__dict__:
            self.__dict__["_ecsync_born"] = time.time()
        self.__dict__["_ecsync_status"] = value

    FakeStack.status = property(get_status, set_status)

    def finish_creates(request, full_url, headers):
        finished[0] = True
        return 200, {"Content-Type": "application/json"}, "{}"

    finish_creates.__name__ = "ecsync_cloudformation_finish_creates"  # flask's endpoint name
    moto_api_urls.url_paths["{0}/moto-api/ecsync/cloudformation/finish-creates"] = finish_creates


if float(os.environ.get("ECSYNC_MOTO_SLOW_CREATE_SECONDS", "0")) > 0:
    _slow_creates(float(os.environ["ECSYNC_MOTO_SLOW_CREATE_SECONDS"]))

# Last, so that it wraps any other status override above.
moto_ecs_deployment_stacks.install_stack_hold()


def _one_request_at_a_time():
    """moto_server answers each request on its own thread, but moto's backends are not
    thread-safe: concurrent creates (several replicas deploying at once) failed with 500,
    "dictionary changed size during iteration" (IAM's role listing, among others). Requests
    are served one at a time; the GIL allowed little more."""
    import threading

    from moto.moto_server.werkzeug_app import DomainDispatcherApplication

    lock = threading.Lock()
    serve = DomainDispatcherApplication.__call__

    def serialized(self, environ, start_response):
        with lock:
            return serve(self, environ, start_response)

    DomainDispatcherApplication.__call__ = serialized


_one_request_at_a_time()


if __name__ == "__main__":
    from moto.server import main

    main(sys.argv[1:])
