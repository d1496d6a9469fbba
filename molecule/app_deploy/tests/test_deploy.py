"""The app hosts run 1.1.0 behind HAProxy after the deploy, each through one server that is up."""

import json

testinfra_hosts = ["lb1"]

SOCKET = "/var/tmp/mbmol-deploy/admin.sock"
APPS = {"mbmol-deploy-app1": ("app1_a", "app1_b"), "mbmol-deploy-app2": ("app2_a", "app2_b")}


def servers(host):
    output = host.check_output("echo 'show servers state app' | python3 -c \"import socket,sys; "
                               "s=socket.socket(socket.AF_UNIX); s.connect('%s'); s.sendall(sys.stdin.buffer.read()); "
                               "print(s.makefile().read())\"" % SOCKET)
    lines = [line.split() for line in output.splitlines() if line and not line.startswith("#") and " " in line]
    return {fields[3]: {"admin": int(fields[6]), "op": int(fields[5]), "port": int(fields[18])} for fields in lines}


def test_containers_run_new_version(host):
    for name in APPS:
        inspect = json.loads(host.check_output("docker inspect %s" % name))[0]
        port = inspect["HostConfig"]["PortBindings"]["3000/tcp"][0]["HostPort"]
        health = json.loads(host.check_output("curl -sf http://127.0.0.1:%s/api/health" % port))
        assert inspect["Config"]["Image"] == "mirrorbuddy-app:1.1.0"
        assert health["version"] == "1.1.0"


def test_no_previous_container_left(host):
    for name in APPS:
        assert host.run("docker inspect %s-previous" % name).rc != 0


def test_one_server_per_host_up(host):
    state = servers(host)
    for name, (first, second) in APPS.items():
        up = [server for server in (first, second) if state[server]["admin"] & 0x01 == 0 and state[server]["op"] == 2]
        assert len(up) == 1
        inspect = json.loads(host.check_output("docker inspect %s" % name))[0]
        assert state[up[0]]["port"] == int(inspect["HostConfig"]["PortBindings"]["3000/tcp"][0]["HostPort"])


def test_history_records_deploy(host):
    history = json.loads(host.file("/var/tmp/mbmol-deploy/history/app1/mbmol-deploy-app1.json").content_string)
    assert history[-1]["version"] == "1.1.0"
    assert history[-1]["replaced_version"] == "1.0.0"
