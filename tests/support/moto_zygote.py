#!/usr/bin/env python3
"""Hands out fresh moto servers (tests/support/moto_ecsync.py) in milliseconds instead of seconds.

Each ctest entry is its own process and starts its own moto_server; importing moto and
building its backends costs about 4 CPU-seconds per start, and most of a moto test's time on a
busy machine. This process pays that once: it imports moto with ecsync's additions, builds the
web application and the backends the tests use, and then waits on a Unix socket. Each
connection gets a forked child holding an untouched copy of that state, which binds a free
loopback port, writes "PORT\\n" back and serves until the connection closes (the test's
MotoServer closes it in its destructor; a test that dies closes it too), then exits.

Usage:
  moto_zygote.py start SOCKET   start in the background; returns when SOCKET accepts
  moto_zygote.py stop SOCKET    stop the one started for SOCKET
Without a running zygote (a test binary run by hand) MotoServer starts moto_ecsync.py itself.
"""
import os
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import zygote  # noqa: E402

# The services ecsync's tests call, as (moto backend, endpoint host prefix): their modules,
# backends and web applications are built before forking so no child pays for them.
SERVICES = [("cloudformation", "cloudformation"), ("ec2", "ec2"), ("ecs", "ecs"),
            ("elbv2", "elasticloadbalancing"), ("s3", "s3"), ("iam", "iam"), ("sts", "sts"),
            ("efs", "elasticfilesystem"), ("ssm", "ssm"), ("logs", "logs"),
            ("servicediscovery", "servicediscovery"), ("secretsmanager", "secretsmanager"),
            ("applicationautoscaling", "application-autoscaling"), ("ecr", "api.ecr"),
            ("codebuild", "codebuild"), ("dynamodb", "dynamodb")]
ACCOUNT = "123456789012"
# The resource types whose updates the tests' change sets list, so no child reads their
# schemas (moto_change_set_replacement.py).
REPLACEABLE_TYPES = ["AWS::ECS::Service", "AWS::ECS::TaskDefinition", "AWS::ECS::Cluster",
                     "AWS::ElasticLoadBalancingV2::TargetGroup",
                     "AWS::ElasticLoadBalancingV2::Listener",
                     "AWS::ElasticLoadBalancingV2::ListenerRule",
                     "AWS::ElasticLoadBalancingV2::LoadBalancer", "AWS::EC2::SecurityGroup",
                     "AWS::EC2::SecurityGroupIngress", "AWS::IAM::Role", "AWS::Logs::LogGroup",
                     "AWS::ServiceDiscovery::Service", "AWS::EFS::FileSystem"]


def warm():
    """Imports moto with ecsync's additions and returns the WSGI app, backends built."""
    import moto_ecsync  # noqa: F401  (registers ecsync's additions as a side effect)
    import moto_change_set_replacement

    moto_change_set_replacement.warm(REPLACEABLE_TYPES)
    from moto.backends import get_backend
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

    app = DomainDispatcherApplication(create_backend_app)
    for service, host in SERVICES:
        try:
            backends = get_backend(service)[ACCOUNT]
            # Global services (IAM, STS, S3) keep one backend under the partition's name.
            backends["us-east-1" if "us-east-1" in backends.regions else "aws"]
            with app.lock:  # the Flask app of the service, as the first request would make it
                key = app.get_backend_for_host(f"{host}.us-east-1.amazonaws.com")
                if key and key not in app.app_instances:
                    app.app_instances[key] = app.create_app(key)
        except Exception as e:  # a service this moto lacks is made on first use instead
            print(f"moto_zygote: not prebuilt: {service}: {e!r}", file=sys.stderr)
    return app


def serve_child(conn, app):
    """In the forked child: serve `app` on a free port until `conn` closes."""
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    port = server.server_port
    os.environ["MOTO_PORT"] = str(port)  # moto builds some URLs (S3) from it

    def watch():
        try:
            while conn.recv(1024):
                pass
        except OSError:
            pass
        os._exit(0)

    threading.Thread(target=watch, daemon=True).start()
    conn.sendall(f"{port}\n".encode())
    server.serve_forever()


def run(path):
    app = warm()
    zygote.serve(path, lambda conn: serve_child(conn, app))


if __name__ == "__main__":
    zygote.main(__doc__, run, "moto_zygote")
