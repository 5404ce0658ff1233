"""ResourceChange.Replacement and Scope in moto's change sets, decided as CloudFormation does.

moto lists a Modify change without saying whether CloudFormation would replace the resource,
so a test could never show that an update keeps a resource in place. CloudFormation decides it
from the resource type's schema in the CloudFormation registry: a change to one of its
`createOnlyProperties` replaces the resource ("True"), a change to one of its
`conditionalCreateOnlyProperties` may ("Conditional"), any other change is made in place
("False"), and a changed Type always replaces. This module reads those lists from the copy of
the registry schemas that cfn-lint ships (the same schemas every template here is linted
against) and sets Replacement and Scope on each Modify change when moto builds a change set.
A type without a published schema (custom resources) reports "Conditional", as "may".
"""
import json

_REGION = "us-east-1"
_schemas = {}


def _create_only(resource_type):
    """(createOnlyProperties, conditionalCreateOnlyProperties) of `resource_type`, or None."""
    if resource_type not in _schemas:
        try:
            from cfnlint.schema.manager import PROVIDER_SCHEMA_MANAGER

            schema = PROVIDER_SCHEMA_MANAGER.get_resource_schema(_REGION, resource_type).schema
            _schemas[resource_type] = (schema.get("createOnlyProperties") or [],
                                       schema.get("conditionalCreateOnlyProperties") or [])
        except Exception:  # no schema for this type
            _schemas[resource_type] = None
    return _schemas[resource_type]


def warm(resource_types):
    """Loads the schemas of `resource_types` now (the zygote does, before it forks)."""
    for resource_type in resource_types:
        _create_only(resource_type)


_MISSING = object()


def _at(resource, pointer):
    """The value at a schema pointer such as "/properties/Cluster", or _MISSING."""
    value = resource
    for part in pointer.strip("/").split("/"):
        key = "Properties" if part == "properties" else part
        if not isinstance(value, dict) or key not in value:
            return _MISSING
        value = value[key]
    return value


def _same(a, b):
    return json.dumps(a, sort_keys=True, default=str) == json.dumps(b, sort_keys=True, default=str)


def replacement(before, after):
    """(Replacement, Scope) of a Modify change from resource JSON `before` to `after`."""
    scope = []
    if not _same(before.get("Properties"), after.get("Properties")):
        scope.append("Properties")
    if before.get("Type") != after.get("Type"):
        return "True", scope
    lists = _create_only(after.get("Type", ""))
    if lists is None:
        return "Conditional", scope
    always, conditional = lists
    if any(not _same(_at(before, p), _at(after, p)) for p in always):
        return "True", scope
    if any(not _same(_at(before, p), _at(after, p)) for p in conditional):
        return "Conditional", scope
    return "False", scope


def install():
    from moto.cloudformation.models import ChangeSet

    original = ChangeSet.diff

    def diff(self):
        changes = original(self)
        deployed = getattr(self.stack.resource_map, "_resource_json_map", {}) or {}
        wanted = (self.template_dict or {}).get("Resources", {})
        for change in changes:
            if change.action != "Modify":
                continue
            before = deployed.get(change.logical_resource_id, {})
            after = wanted.get(change.logical_resource_id, {})
            change.replacement, change.scope = replacement(before, after)
        return changes

    ChangeSet.diff = diff
