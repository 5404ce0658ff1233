#!/usr/bin/env python3
"""moto_server, plus CloudFormation support for the Cloud Map resource types ecsync emits.

moto 5 implements the Cloud Map (servicediscovery) API but not its CloudFormation resource
types, so a stack holding AWS::ServiceDiscovery::PrivateDnsNamespace or ::Service fails in
plain moto_server ("Fn::GetAtt references undefined resource"). This module registers both
types with moto's CloudFormation engine, backed by moto's own servicediscovery backend (the
resources are real moto resources, visible through the servicediscovery API), and then runs
moto's server with the given arguments. Used by the tests and the demo in place of
`moto_server`; takes the same flags.
"""
import sys

from moto.core.common_models import CloudFormationModel
from moto.servicediscovery.models import Namespace, servicediscovery_backends


def _tags(properties):
    return [{"Key": t["Key"], "Value": t["Value"]} for t in properties.get("Tags", [])]


class CfnPrivateDnsNamespace(CloudFormationModel):
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

    @classmethod
    def delete_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id,
                                        region_name):
        pass  # moto deletes by physical id below

    def delete(self, account_id, region_name):
        servicediscovery_backends[account_id][region_name].namespaces.pop(self.namespace.id, None)

    def is_created(self):
        return True

    @property
    def physical_resource_id(self):
        return self.namespace.id

    def get_cfn_attribute(self, attribute_name):
        if attribute_name == "Arn":
            return self.namespace.arn
        if attribute_name == "Id":
            return self.namespace.id
        return "Z" + self.namespace.id[3:17].upper()


class CfnDiscoveryService(CloudFormationModel):
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

    @classmethod
    def delete_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id,
                                        region_name):
        pass

    def delete(self, account_id, region_name):
        servicediscovery_backends[account_id][region_name].delete_service(self.service.id)

    def is_created(self):
        return True

    @property
    def physical_resource_id(self):
        return self.service.id

    def get_cfn_attribute(self, attribute_name):
        if attribute_name == "Arn":
            return self.service.arn
        if attribute_name == "Id":
            return self.service.id
        return self.service.name


if __name__ == "__main__":
    from moto.server import main

    main(sys.argv[1:])
