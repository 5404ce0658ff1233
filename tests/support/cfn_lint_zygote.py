#!/usr/bin/env python3
"""Runs cfn-lint for the tests in a forked copy of one warm process instead of a new one.

Every generated template in the suite goes through cfn-lint (tests/support/support.h,
CfnLint). A new cfn-lint process spends about two CPU-seconds importing cfnlint and loading
its rules and resource schemas before it reads the template, several hundred times per run.
This process pays that once: it imports cfnlint and lints a template that touches every
resource type ecsync generates, so the schemas those need are loaded, and then waits on a
Unix socket. Each connection names a template file ("PATH\\n"); a forked child runs
cfn-lint's own command-line entry point on it, exactly as `cfn-lint --format parseable --
PATH` would, and answers "EXIT_CODE\\n" followed by what cfn-lint printed.

Usage:
  cfn_lint_zygote.py start SOCKET   start in the background; returns when SOCKET accepts
  cfn_lint_zygote.py stop SOCKET    stop the one started for SOCKET
Without a running zygote (a test binary run by hand) CfnLint runs the cfn-lint command.
"""
import contextlib
import io
import json
import os
import socket
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import zygote  # noqa: E402

# The resource types ecsync's templates use: linting one of each before forking loads their
# schemas once for every child.
WARM_TYPES = [
    "AWS::ECS::Cluster", "AWS::ECS::Service", "AWS::ECS::TaskDefinition",
    "AWS::ECS::CapacityProvider", "AWS::ECS::ClusterCapacityProviderAssociations",
    "AWS::EC2::SecurityGroup", "AWS::EC2::SecurityGroupIngress", "AWS::EC2::VPC",
    "AWS::EC2::Subnet", "AWS::EC2::LaunchTemplate", "AWS::AutoScaling::AutoScalingGroup",
    "AWS::ElasticLoadBalancingV2::LoadBalancer", "AWS::ElasticLoadBalancingV2::Listener",
    "AWS::ElasticLoadBalancingV2::ListenerRule", "AWS::ElasticLoadBalancingV2::TargetGroup",
    "AWS::IAM::Role", "AWS::IAM::Policy", "AWS::Logs::LogGroup",
    "AWS::ServiceDiscovery::PrivateDnsNamespace", "AWS::ServiceDiscovery::Service",
    "AWS::EFS::FileSystem", "AWS::EFS::MountTarget", "AWS::EFS::AccessPoint",
    "AWS::ApplicationAutoScaling::ScalableTarget",
    "AWS::ApplicationAutoScaling::ScalingPolicy", "AWS::CloudWatch::Alarm",
    "AWS::SecretsManager::Secret", "AWS::SSM::Parameter", "AWS::S3::Bucket",
    "AWS::CloudFormation::Stack", "AWS::ECR::Repository", "AWS::CodeBuild::Project",
    "AWS::Lambda::Function", "AWS::Events::Rule", "AWS::Route53::RecordSet",
    "AWS::CertificateManager::Certificate",
]


def lint(path):
    """cfn-lint's command line on `path`, in this process: (exit code, what it printed)."""
    from cfnlint.runner import main

    out = io.StringIO()
    sys.argv = ["cfn-lint", "--format", "parseable", "--", path]
    code = 0
    with contextlib.redirect_stdout(out):
        try:
            main()
        except SystemExit as e:
            code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
    return code, out.getvalue()


def cache_loading():
    """Makes cfn-lint load its rule modules and JSON schemas once per zygote, not per lint.

    cfn-lint executes every rule module again and parses their schemas on each run (about a
    second); here each module file and resource is loaded once and shared. A child that
    changed one would change only its own copy (the fork), and every child starts from the
    warm-up's.
    """
    import functools
    import cfnlint.helpers as helpers

    original = helpers.load_resource
    cached = functools.lru_cache(maxsize=None)(original)
    for module in list(sys.modules.values()):
        if getattr(module, "load_resource", None) is original:
            module.load_resource = cached
    helpers.import_filename = functools.lru_cache(maxsize=None)(helpers.import_filename)


def warm():
    import cfnlint.runner  # noqa: F401

    cache_loading()
    template = {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Resources": {f"R{i}": {"Type": t, "Properties": {}} for i, t in enumerate(WARM_TYPES)},
    }
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(template, f)
    try:
        lint(f.name)  # its findings (missing properties) do not matter
        with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as y:
            y.write("Resources:\n  Log:\n    Type: AWS::Logs::LogGroup\n")
        lint(y.name)
        os.unlink(y.name)
    finally:
        os.unlink(f.name)


def serve_child(conn):
    path = zygote.read_request(conn)
    if path is None:
        return
    code, out = lint(path)
    conn.sendall(f"{code}\n".encode() + out.encode())
    conn.shutdown(socket.SHUT_WR)


def run(path):
    warm()
    zygote.serve(path, serve_child)


if __name__ == "__main__":
    zygote.main(__doc__, run, "cfn_lint_zygote")
