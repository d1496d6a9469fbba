"""Copying a container's configuration onto another image."""

from __future__ import annotations

from ansible_collections.mirrorbuddy.ops.plugins.module_utils.container_deploy import creation_config, published_port


def container_info():
    return {
        "Config": {
            "Env": ["PATH=/usr/bin", "APP_VERSION=1.0.0", "DATABASE_URL=postgres://db/app"],
            "Labels": {"org.opencontainers.image.version": "1.0.0", "team": "ops"},
            "Cmd": ["node", "/srv/app/server.js"],
            "User": "nobody",
            "ExposedPorts": {"3000/tcp": {}},
        },
        "HostConfig": {
            "PortBindings": {"3000/tcp": [{"HostIp": "127.0.0.1", "HostPort": "13001"}]},
            "RestartPolicy": {"Name": "unless-stopped", "MaximumRetryCount": 0},
            "Binds": ["appdata:/srv/data"],
        },
    }


def old_image():
    return {"Config": {"Env": ["PATH=/usr/bin", "APP_VERSION=1.0.0"],
                       "Labels": {"org.opencontainers.image.version": "1.0.0"},
                       "Cmd": ["node", "/srv/app/server.js"], "User": "nobody", "ExposedPorts": {"3000/tcp": {}}}}


def test_copy_leaves_out_what_old_image_set():
    arguments = creation_config(container_info(), old_image(), "app:1.1.0")

    assert arguments["environment"] == ["DATABASE_URL=postgres://db/app"]
    assert arguments["labels"] == {"team": "ops"}
    assert "command" not in arguments
    assert "user" not in arguments


def test_copy_keeps_host_configuration():
    arguments = creation_config(container_info(), old_image(), "app:1.1.0")

    assert arguments["image"] == "app:1.1.0"
    assert arguments["host_config"]["RestartPolicy"]["Name"] == "unless-stopped"
    assert arguments["host_config"]["Binds"] == ["appdata:/srv/data"]
    assert arguments["ports"] == [(3000, "tcp")]


def test_published_port():
    assert published_port(container_info(), 3000) == 13001
    assert published_port(container_info(), 8080) is None
