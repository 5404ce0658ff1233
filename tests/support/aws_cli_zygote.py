#!/usr/bin/env python3
"""Runs the AWS CLI for the tests in a forked copy of one warm process instead of a new one.

The tests ask the AWS CLI, an independent client, what ecsync made in moto
(tests/support/support.h, MotoServer::Aws), often in a loop that waits for a stack. A new
`aws` process spends over a CPU-second importing botocore and reading its service models
before it sends anything. This process pays that once: it imports the CLI and reads the models
of the services the tests ask about, then waits on a Unix socket. Each connection sends one
JSON line, {"argv": [...], "env": {...}}; a forked child takes that environment as its whole
environment, runs the CLI's own entry point on argv exactly as `aws ARGV...` would, and
answers one JSON object {"code": EXIT_CODE, "out": STDOUT, "err": STDERR}.

Usage:
  aws_cli_zygote.py start SOCKET   start in the background; returns when SOCKET accepts
  aws_cli_zygote.py stop SOCKET    stop the one started for SOCKET
Without a running zygote (a test binary run by hand) the tests run the `aws` command.
"""
import json
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import zygote  # noqa: E402

# The services the tests ask the CLI about: their models are read before forking.
SERVICES = ["cloudformation", "ecs", "ec2", "elbv2", "s3", "iam", "sts", "efs", "ssm", "logs",
            "servicediscovery", "secretsmanager", "application-autoscaling", "ecr",
            "codebuild", "dynamodb", "cloudwatch"]

LOADER = None  # the warm botocore data loader every child's session shares


def warm():
    global LOADER
    import awscli.clidriver

    driver = awscli.clidriver.create_clidriver()
    session = driver.session
    from botocore.exceptions import UnknownServiceError, DataNotFoundError

    for service in SERVICES:
        session.get_service_model(service)
        try:
            session.get_paginator_model(service)
        except (UnknownServiceError, DataNotFoundError):
            pass  # a service without paginators
    # The CLI's command table (every service's commands) is built lazily from the models.
    driver._get_command_table()
    LOADER = session.get_component("data_loader")


def run_cli(argv, env):
    """`aws ARGV` in this process with `env` as the environment: (code, stdout, stderr)."""
    import awscli.clidriver

    os.environ.clear()
    os.environ.update(env)
    if os.environ.get("LC_CTYPE", "") == "UTF-8":  # as the `aws` script does
        os.environ["LC_CTYPE"] = "en_US.UTF-8"
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        sys.stdout.flush()
        sys.stderr.flush()
        os.dup2(out.fileno(), 1)
        os.dup2(err.fileno(), 2)
        driver = awscli.clidriver.create_clidriver()
        driver.session.register_component("data_loader", LOADER)
        try:
            code = driver.main(argv)
        except SystemExit as e:
            code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
        sys.stdout.flush()
        sys.stderr.flush()
        out.seek(0)
        err.seek(0)
        return code, out.read(), err.read()


def serve_child(conn):
    line = zygote.read_request(conn)
    if line is None:
        return
    request = json.loads(line)
    code, out, err = run_cli(request["argv"], request["env"])
    reply = {"code": code, "out": out.decode("utf-8", "replace"),
             "err": err.decode("utf-8", "replace")}
    conn.sendall(json.dumps(reply).encode())


def run(path):
    warm()
    zygote.serve(path, serve_child)


if __name__ == "__main__":
    zygote.main(__doc__, run, "aws_cli_zygote")
