#!/usr/bin/env python3
"""How many real compose files ecsync deploys as they are: the README's feature-table figure.

For each project in ../shared/corpora/real-compose (or the folder given with --corpus), this
makes a git repository holding its compose.yaml byte for byte, plus stand-ins for what the
corpus leaves out: a one-line Dockerfile in every build context, and a small file or folder at
every bind-mount, env_file, config and secret source inside the repository. Then, with the
external builder and an ECR registry in moto_server (through the project's moto wrapper):

  1. `ecsync images`    lists the images CI would build; each is "pushed" with ECR PutImage;
  2. `ecsync convert`   renders the template (the images pinned by digest, the files bundled);
  3. `cfn-lint`         checks it;
  4. `ecsync reconcile --once` deploys the repository to moto (templates over CloudFormation's
     inline limit through a template bucket, as a configuration would name one).

It prints one line per project (the first error where a step fails) and the counts:
    scripts/corpus_report.py [--ecsync build/cli/ecsync] [--corpus DIR] [--json FILE]
"""
import argparse
import json
import os
import pathlib
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

import boto3
import yaml

ROOT = pathlib.Path(__file__).resolve().parent.parent
REGISTRY = "123456789012.dkr.ecr.us-east-1.amazonaws.com"
BUCKET = "ecsync-corpus-templates"  # templates over 51,200 bytes go through S3, as configured
# Variables the corpus expects from the user's shell or an .env file it does not ship.
ENVIRONMENT = {"PLEX_MEDIA_PATH": "/srv/media"}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_moto():
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "tests/support/moto_ecsync.py"), "-H", "127.0.0.1", "-p",
         str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    endpoint = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(endpoint + "/moto-api/", timeout=1)
            return proc, endpoint
        except OSError:
            time.sleep(0.1)
    proc.kill()
    sys.exit("corpus_report: moto_server did not start within 60 s")


def client_env(endpoint):
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update({"AWS_ENDPOINT_URL": endpoint, "AWS_ACCESS_KEY_ID": "testing",
                "AWS_SECRET_ACCESS_KEY": "testing", "AWS_REGION": "us-east-1",
                "AWS_DEFAULT_REGION": "us-east-1", "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent",
                "AWS_CONFIG_FILE": "/nonexistent"})
    env.update(ENVIRONMENT)
    return env


def inside(path):
    """A relative source that stays in the repository (what ecsync can ship)."""
    if not isinstance(path, str) or not path or path.startswith(("/", "~", "$")):
        return None
    if ":" in path.split("/")[0] or "://" in path:
        return None
    norm = os.path.normpath(path)
    return None if norm.startswith("..") else norm


def touch(repo, rel, folder):
    target = repo / rel
    if target.exists() or rel in (".", ""):
        return
    if folder:
        target.mkdir(parents=True, exist_ok=True)
        (target / ".keep").write_text("stand-in\n")
    else:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text("stand-in\n")


def looks_like_file(rel):
    return "." in pathlib.PurePath(rel).name.lstrip(".")


def stand_ins(repo, compose):
    """Creates what the compose file names and the corpus does not hold."""
    for service in (compose.get("services") or {}).values():
        if not isinstance(service, dict):
            continue
        build = service.get("build")
        if build is not None:
            context = build if isinstance(build, str) else build.get("context", ".")
            dockerfile = "Dockerfile" if isinstance(build, str) else build.get("dockerfile",
                                                                                "Dockerfile")
            ctx = inside(context)
            if ctx is not None and inside(dockerfile) is not None:
                (repo / ctx).mkdir(parents=True, exist_ok=True)
                touch(repo, os.path.join(ctx, dockerfile), False)
                (repo / ctx / dockerfile).write_text("FROM busybox\n")
        for volume in service.get("volumes") or []:
            source = volume.split(":")[0] if isinstance(volume, str) else (
                volume.get("source") if volume.get("type") == "bind" else None)
            rel = inside(source) if source and source.startswith(".") else None
            if rel is not None:
                touch(repo, rel, not looks_like_file(rel))
        env_files = service.get("env_file") or []
        for entry in [env_files] if isinstance(env_files, str) else env_files:
            rel = inside(entry if isinstance(entry, str) else entry.get("path"))
            if rel is not None:
                touch(repo, rel, False)
    for section in ("configs", "secrets"):
        for item in (compose.get(section) or {}).values():
            rel = inside((item or {}).get("file"))
            if rel is not None:
                touch(repo, rel, False)


def run(argv, env, cwd=None):
    r = subprocess.run(argv, env=env, cwd=cwd, capture_output=True, text=True, errors="replace")
    return r.returncode, r.stdout, r.stderr


def first_line(text):
    """The first error line (warnings come before it), else the first line."""
    for line in text.splitlines():
        if line.startswith("error"):
            return line.strip()[:200]
    for line in text.splitlines():
        if line.strip():
            return line.strip()[:200]
    return ""


def push(ecr, reference):
    """PutImage of a small manifest under the reference's repository and tag."""
    name, tag = reference[len(REGISTRY) + 1:].rsplit(":", 1)
    try:
        ecr.create_repository(repositoryName=name)
    except ecr.exceptions.RepositoryAlreadyExistsException:
        pass
    manifest = {"schemaVersion": 2, "mediaType":
                "application/vnd.docker.distribution.manifest.v2+json",
                "config": {"mediaType": "application/vnd.docker.container.image.v1+json",
                           "size": 2, "digest": "sha256:" + "4" * 64},
                "layers": []}
    ecr.put_image(repositoryName=name, imageManifest=json.dumps(manifest), imageTag=tag)


def check(project_dir, ecsync, env, ecr, work):
    name = project_dir.name
    repo = work / name
    repo.mkdir()
    (repo / "compose.yaml").write_bytes((project_dir / "compose.yaml").read_bytes())
    try:
        stand_ins(repo, yaml.safe_load((project_dir / "compose.yaml").read_text()) or {})
    except yaml.YAMLError:
        pass  # ecsync reports it
    git = ["git", "-C", str(repo), "-c", "user.name=corpus", "-c", "user.email=corpus@example"]
    subprocess.run(git[:3] + ["init", "-q", "-b", "main"], check=True)
    subprocess.run(git + ["add", "-A"], check=True)
    subprocess.run(git + ["commit", "-qm", "corpus"], check=True)
    flags = ["--builder", "external", "--registry", REGISTRY]
    result = {"project": name, "convert": False, "lint": False, "deploy": False, "error": ""}

    rc, out, err = run([ecsync, "images", "-f", "compose.yaml", "--registry", REGISTRY,
                        "--output", "json"], env, cwd=repo)
    if rc == 0:
        for image in json.loads(out):
            push(ecr, image["reference"])
    rc, out, err = run([ecsync, "convert", "-f", "compose.yaml"] + flags + ["--vpc-id",
                       "vpc-0123abcd", "--subnet-ids", "subnet-0123abcd,subnet-4567ef01"],
                       env, cwd=repo)
    if rc != 0:
        result["error"] = "convert: " + first_line(err)
        return result
    result["convert"] = True
    template = work / (name + ".json")
    template.write_text(out)
    rc, out, err = run(["cfn-lint", "--", str(template)], env)
    if rc != 0:
        result["error"] = "cfn-lint: " + first_line(out + err)
    else:
        result["lint"] = True
    rc, out, err = run([ecsync, "reconcile", "--once", "--repo", "file://" + str(repo),
                        "--cache-dir", str(work / "cache"), "--image-wait", "5s",
                        "--template-bucket", BUCKET] + flags, env)
    if rc != 0:
        result["error"] = result["error"] or "reconcile: " + first_line(err or out)
    else:
        result["deploy"] = True
    return result


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--ecsync", default=str(ROOT / "build/cli/ecsync"))
    parser.add_argument("--corpus", default=str(ROOT.parent / "shared/corpora/real-compose"))
    parser.add_argument("--json", help="also write the results here")
    parser.add_argument("--only", action="append", help="just this project (repeatable)")
    args = parser.parse_args()
    corpus = pathlib.Path(args.corpus)
    projects = sorted(p for p in corpus.iterdir() if (p / "compose.yaml").is_file()
                      and (not args.only or p.name in args.only))
    if not projects:
        sys.exit(f"corpus_report: no compose.yaml under {corpus}")
    moto, endpoint = start_moto()
    try:
        env = client_env(endpoint)
        ecr = boto3.client("ecr", endpoint_url=endpoint, region_name="us-east-1",
                           aws_access_key_id="testing", aws_secret_access_key="testing")
        boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                     aws_access_key_id="testing",
                     aws_secret_access_key="testing").create_bucket(Bucket=BUCKET)
        results = []
        with tempfile.TemporaryDirectory(prefix="ecsync-corpus-") as tmp:
            for project in projects:
                r = check(project, args.ecsync, env, ecr, pathlib.Path(tmp))
                results.append(r)
                marks = "".join("+" if r[k] else "-" for k in ("convert", "lint", "deploy"))
                print(f"{marks} {r['project']}" + (f": {r['error']}" if r["error"] else ""),
                      flush=True)
    finally:
        moto.kill()
        moto.wait()
    total = len(results)
    counts = {k: sum(r[k] for r in results) for k in ("convert", "lint", "deploy")}
    print(f"of {total}: {counts['convert']} convert, {counts['lint']} pass cfn-lint, "
          f"{counts['deploy']} deploy to moto")
    if args.json:
        pathlib.Path(args.json).write_text(json.dumps({"results": results, "counts": counts},
                                                      indent=2))


if __name__ == "__main__":
    main()
