"""The app hosts run 1.0.0 again after the rollback, with the image ID of 1.0.0."""

import json

testinfra_hosts = ["lb1"]

APPS = ("mbmol-rollback-app1", "mbmol-rollback-app2")


def test_containers_run_previous_image(host):
    previous_id = json.loads(host.check_output("docker image inspect mirrorbuddy-app:1.0.0"))[0]["Id"]
    for name in APPS:
        inspect = json.loads(host.check_output("docker inspect %s" % name))[0]
        assert inspect["Image"] == previous_id


def test_health_reports_previous_version(host):
    for name in APPS:
        inspect = json.loads(host.check_output("docker inspect %s" % name))[0]
        port = inspect["HostConfig"]["PortBindings"]["3000/tcp"][0]["HostPort"]
        health = json.loads(host.check_output("curl -sf http://127.0.0.1:%s/api/health" % port))
        assert health["version"] == "1.0.0"


def test_history_records_rollback(host):
    history = json.loads(host.file("/var/tmp/mbmol-rollback/history/app2/mbmol-rollback-app2.json").content_string)
    assert history[-1]["procedure"] == "rollback"
    assert history[-1]["version"] == "1.0.0"
