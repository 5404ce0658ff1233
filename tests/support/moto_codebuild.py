"""CodeBuild for ecsync's `codebuild` builder, on moto's own backends (imported by moto_ecsync).

moto 5.2.1's CodeBuild keeps projects and builds, but:
  * has no AWS::CodeBuild::Project for CloudFormation ("unknown resource type");
  * StartBuild ignores the source, environment-variable and buildspec overrides and the
    idempotency token (every call starts another build);
  * BatchGetBuilds finishes a build at the first read, appending every phase again at each
    read, with no log group or stream;
  * nothing is ever pushed, so a build's image never appears in ECR.
Here the project type is registered, backed by moto's codebuild backend; StartBuild records
the overrides and honours the token (the same token answers the same build; with other
parameters it is refused, as CodeBuild does); a build moves one phase per BatchGetBuilds
read, so a follower sees each phase; DOWNLOAD_SOURCE fails when the S3 source object is not
in moto's S3, POST_BUILD fails when the image's repository is not in moto's ECR; and a build
that completes puts an image manifest for ECSYNC_IMAGE into moto's ECR backend, so the
pushed tag has a digest to find.
"""
import hashlib
import json

from moto.codebuild import responses as codebuild_responses
from moto.codebuild.models import CodeBuildBackend, codebuild_backends
from moto.core.common_models import CloudFormationModel
from moto.core.utils import iso_8601_datetime_with_milliseconds
from moto.ecr.models import ecr_backends
from moto.moto_api._internal import mock_random
from moto.s3.models import s3_backends

_PHASES = ["SUBMITTED", "QUEUED", "PROVISIONING", "DOWNLOAD_SOURCE", "INSTALL", "PRE_BUILD",
           "BUILD", "POST_BUILD", "UPLOAD_ARTIFACTS", "FINALIZING", "COMPLETED"]


class CfnCodeBuildProject(CloudFormationModel):
    """AWS::CodeBuild::Project: Ref is the project's name, Arn its ARN."""
    __module__ = "moto.codebuild.ecsync"

    def __init__(self, name, arn):
        self.name = name
        self.arn = arn

    @staticmethod
    def cloudformation_name_type():
        return "Name"

    @staticmethod
    def cloudformation_type():
        return "AWS::CodeBuild::Project"

    @classmethod
    def has_cfn_attr(cls, attr):
        return attr in ("Arn",)

    @staticmethod
    def _lower(value):
        """CloudFormation's PascalCase keys as the API's camelCase ones, recursively."""
        if isinstance(value, dict):
            return {k[:1].lower() + k[1:]: CfnCodeBuildProject._lower(v) for k, v in value.items()}
        if isinstance(value, list):
            return [CfnCodeBuildProject._lower(v) for v in value]
        return value

    @classmethod
    def _create(cls, name, props, account_id, region_name):
        backend = codebuild_backends[account_id][region_name]
        lowered = cls._lower(props)
        metadata = backend.create_project(
            project_name=name, description=props.get("Description"),
            project_source=lowered["source"], artifacts=lowered["artifacts"],
            environment=lowered["environment"], service_role=props["ServiceRole"],
            tags=props.get("Tags"), cache=lowered.get("cache"),
            timeout=props.get("TimeoutInMinutes"),
            queued_timeout=props.get("QueuedTimeoutInMinutes"),
            source_version=props.get("SourceVersion"), logs_config=lowered.get("logsConfig"),
            vpc_config=lowered.get("vpcConfig"))
        return cls(name, metadata["arn"])

    @classmethod
    def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id,
                                        region_name, **kwargs):
        props = cloudformation_json["Properties"]
        return cls._create(props.get("Name", resource_name), props, account_id, region_name)

    @classmethod
    def update_from_cloudformation_json(cls, original_resource, new_resource_name,
                                        cloudformation_json, account_id, region_name):
        props = cloudformation_json["Properties"]
        name = props.get("Name", original_resource.name)
        backend = codebuild_backends[account_id][region_name]
        history = backend.build_history.get(original_resource.name, [])
        backend.delete_project(original_resource.name)
        updated = cls._create(name, props, account_id, region_name)
        backend.build_history[name] = history  # builds outlive an update of their project
        return updated

    @classmethod
    def delete_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id,
                                        region_name):
        pass

    def delete(self, account_id, region_name):
        codebuild_backends[account_id][region_name].delete_project(self.name)

    def is_created(self):
        return True

    @property
    def physical_resource_id(self):
        return self.name

    def get_cfn_attribute(self, attribute_name):
        return self.arn


def _now():
    return iso_8601_datetime_with_milliseconds()


def _start_build(self):
    """StartBuild with its overrides and idempotency token."""
    name = self._get_param("projectName")
    codebuild_responses._validate_required_params_project_name(name)
    backend = self.codebuild_backend
    project = backend.codebuild_projects.get(name)
    if project is None:
        raise codebuild_responses.ResourceNotFoundException(
            f"Project cannot be found: arn:aws:codebuild:{self.region}:{self.current_account}"
            f":project/{name}")
    params = {key: self._get_param(key) for key in (
        "sourceTypeOverride", "sourceLocationOverride", "environmentVariablesOverride",
        "buildspecOverride")}
    token = self._get_param("idempotencyToken")
    tokens = backend.__dict__.setdefault("ecsync_tokens", {})
    if token and token in tokens:
        build_id, earlier = tokens[token]
        if earlier != params:
            raise codebuild_responses.InvalidInputException(
                "Parameter mismatch for the idempotency token " + token)
        return json.dumps({"build": backend.ecsync_builds[build_id]})

    uuid = str(mock_random.uuid4())
    build_id = f"{name}:{uuid}"
    metadata = project.project_metadata
    source = dict(metadata["source"])
    if params["sourceTypeOverride"]:
        source["type"] = params["sourceTypeOverride"]
    if params["sourceLocationOverride"]:
        source["location"] = params["sourceLocationOverride"]
    if params["buildspecOverride"]:
        source["buildspec"] = params["buildspecOverride"]
    environment = dict(metadata["environment"])
    variables = {v["name"]: v for v in environment.get("environmentVariables", [])}
    for v in params["environmentVariablesOverride"] or []:
        variables[v["name"]] = v
    environment["environmentVariables"] = list(variables.values())
    group = (metadata.get("logsConfig", {}).get("cloudWatchLogs", {}).get("groupName")
             or f"/aws/codebuild/{name}")
    now = _now()
    build = {
        "id": build_id,
        "arn": f"arn:aws:codebuild:{self.region}:{self.current_account}:build/{build_id}",
        "buildNumber": len(backend.build_history.get(name, [])) + 1,
        "startTime": now, "currentPhase": "QUEUED", "buildStatus": "IN_PROGRESS",
        "projectName": name, "source": source, "environment": environment,
        "serviceRole": metadata["serviceRole"], "buildComplete": False,
        "phases": [{"phaseType": "SUBMITTED", "phaseStatus": "SUCCEEDED", "startTime": now,
                    "endTime": now, "durationInSeconds": 0},
                   {"phaseType": "QUEUED", "startTime": now}],
        "logs": {"groupName": group, "streamName": uuid,
                 "deepLink": f"https://console.aws.amazon.com/cloudwatch/home?region="
                             f"{self.region}#logEvent:group={group};stream={uuid}"},
        "timeoutInMinutes": metadata.get("timeoutInMinutes", 60),
    }
    backend.__dict__.setdefault("ecsync_builds", {})[build_id] = build
    backend.build_history.setdefault(name, []).append(build_id)
    if token:
        tokens[token] = (build_id, params)
    return json.dumps({"build": build})


def _variable(build, name):
    for v in build["environment"].get("environmentVariables", []):
        if v["name"] == name:
            return v.get("value", "")
    return ""


def _check_source(build, account_id):
    """None when the S3 source object exists in moto's S3; otherwise why not."""
    if build["source"].get("type") != "S3":
        return None
    bucket, _, key = build["source"].get("location", "").partition("/")
    s3 = s3_backends[account_id]["global"]
    if bucket not in s3.buckets or key not in s3.buckets[bucket].keys:
        return f"NoSuchKey: the source s3://{bucket}/{key} does not exist"
    return None


def _push(build, account_id, region_name):
    """Puts an image manifest for ECSYNC_IMAGE into moto's ECR; None, or why it failed."""
    image = _variable(build, "ECSYNC_IMAGE")
    if not image:
        return None  # a build that pushes nothing
    repository, _, tag = image.partition("/")[2].rpartition(":")
    ecr = ecr_backends[account_id][region_name]
    if repository not in ecr.repositories:
        return f"name unknown: The repository with name '{repository}' does not exist"
    config = json.dumps({"ecsync": build["id"]}).encode()
    manifest = json.dumps({
        "schemaVersion": 2,
        "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
        "config": {"mediaType": "application/vnd.docker.container.image.v1+json",
                   "size": len(config), "digest": "sha256:" + hashlib.sha256(config).hexdigest()},
        "layers": []})
    ecr.put_image(repository, manifest, tag)
    return None


def _advance(build, account_id, region_name):
    """Ends the running phase and starts the next one: one step per read."""
    if build["buildComplete"]:
        return
    phases = build["phases"]
    running = phases[-1]
    failure = None
    if running["phaseType"] == "DOWNLOAD_SOURCE":
        failure = _check_source(build, account_id)
    elif running["phaseType"] == "POST_BUILD":
        failure = _push(build, account_id, region_name)
    now = _now()
    running.update({"phaseStatus": "FAILED" if failure else "SUCCEEDED", "endTime": now,
                    "durationInSeconds": 1})
    if failure:
        code = "CLIENT_ERROR" if running["phaseType"] == "DOWNLOAD_SOURCE" else \
            "COMMAND_EXECUTION_ERROR"
        running["contexts"] = [{"statusCode": code, "message": failure}]
        build["buildStatus"] = "FAILED"
    following = _PHASES[_PHASES.index(running["phaseType"]) + 1]
    if failure and following not in ("FINALIZING", "COMPLETED"):
        following = "FINALIZING"
    phases.append({"phaseType": following, "startTime": now})
    build["currentPhase"] = following
    if following == "COMPLETED":
        build["buildComplete"] = True
        build["endTime"] = now
        if build["buildStatus"] == "IN_PROGRESS":
            build["buildStatus"] = "SUCCEEDED"


def _batch_get_builds(self, ids):
    builds = self.__dict__.get("ecsync_builds", {})
    found = []
    for build_id in ids:
        if build_id in builds:
            _advance(builds[build_id], self.account_id, self.region_name)
            found.append(builds[build_id])
    return found


def _batch_get_builds_response(self):
    ids = self._get_param("ids")
    builds = self.codebuild_backend.batch_get_builds(ids)
    known = {b["id"] for b in builds}
    return json.dumps({"builds": builds, "buildsNotFound": [i for i in ids if i not in known]})


codebuild_responses.CodeBuildResponse.start_build = _start_build
codebuild_responses.CodeBuildResponse.batch_get_builds = _batch_get_builds_response
CodeBuildBackend.batch_get_builds = _batch_get_builds
