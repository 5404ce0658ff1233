"""The part the test zygotes share (moto_zygote.py, cfn_lint_zygote.py, aws_cli_zygote.py):
a process that pays a slow start once, then forks a child per connection on a Unix socket.

A zygote runs detached in a session of its own, logs to SOCKET.log and writes its pid to
SOCKET.pid; SOCKET appears only once it accepts. ctest starts one before the first test that
needs it and stops it after the last (tests/CMakeLists.txt).
"""
import os
import signal
import socket
import sys
import time

# A zygote nobody connected to in this long is left over from an interrupted ctest run.
IDLE_EXIT_SECONDS = 3600


def serve(path, handle):
    """Accepts on `path` until idle for IDLE_EXIT_SECONDS; `handle(conn)` runs in a child per
    connection (the child exits when it returns)."""
    if os.path.exists(path):
        os.unlink(path)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path + ".tmp")
    listener.listen(64)
    os.rename(path + ".tmp", path)  # appears only once it accepts
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # children are reaped by the kernel
    listener.settimeout(IDLE_EXIT_SECONDS)
    while True:
        try:
            conn, _ = listener.accept()
        except socket.timeout:
            break
        conn.settimeout(None)
        if os.fork() == 0:
            listener.close()
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            try:
                handle(conn)
            finally:
                os._exit(0)
        conn.close()
    os.unlink(path)


def read_request(conn):
    """The request line a child's connection sends (without its newline); None when the
    client went away first."""
    data = b""
    while not data.endswith(b"\n"):
        chunk = conn.recv(65536)
        if not chunk:
            return None
        data += chunk
    return data[:-1].decode()


def start(path, run, name):
    """Runs `run(path)` detached; returns 0 once `path` accepts, 1 when it did not start."""
    pid = os.fork()
    if pid == 0:
        os.setsid()
        devnull = os.open(os.devnull, os.O_RDWR)
        log = os.open(path + ".log", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        os.dup2(devnull, 0)
        os.dup2(log, 1)
        os.dup2(log, 2)
        with open(path + ".pid", "w") as f:
            f.write(str(os.getpid()))
        try:
            run(path)
        finally:
            os._exit(0)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if os.path.exists(path):
            return 0
        finished, _ = os.waitpid(pid, os.WNOHANG)
        if finished == pid:
            break
        time.sleep(0.05)
    print(f"{name}: did not start; see {path}.log", file=sys.stderr)
    return 1


def stop(path):
    """Stops the zygote started for `path` and whatever children it still has."""
    try:
        with open(path + ".pid") as f:
            os.killpg(int(f.read()), signal.SIGTERM)
    except (OSError, ValueError):
        pass
    for leftover in (path, path + ".pid"):
        try:
            os.unlink(leftover)
        except OSError:
            pass
    return 0


def main(doc, run, name):
    """The command line: NAME start SOCKET | NAME stop SOCKET."""
    if len(sys.argv) != 3 or sys.argv[1] not in ("start", "stop"):
        print(doc, file=sys.stderr)
        sys.exit(2)
    sys.exit(start(sys.argv[2], run, name) if sys.argv[1] == "start" else stop(sys.argv[2]))
