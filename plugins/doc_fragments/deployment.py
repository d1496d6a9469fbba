# -*- coding: utf-8 -*-
# Copyright: MirrorBuddy operations team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    # The options app_deploy and app_rollback share, defined once in module_utils/deployment.py.
    DOCUMENTATION = r"""
options:
  container:
    description: Name of the app container.
    type: str
    default: mirrorbuddy-app
  container_port:
    description: Port the app listens on inside the container.
    type: int
    default: 3000
  health_path:
    description: Path of the health endpoint.
    type: str
    default: /api/health
  health_host:
    description: Address the published host port is reached at.
    type: str
    default: 127.0.0.1
  health_retries:
    description: Health requests after the first one fails.
    type: int
    default: 30
  health_interval:
    description: Seconds between health requests.
    type: float
    default: 1
  health_timeout:
    description: Seconds each health request may take.
    type: float
    default: 3
  version_field:
    description: jmespath expression that picks the version from the health response.
    type: str
    default: version
  history_dir:
    description: Directory of the deployment history files on the managed node.
    type: path
    default: /var/lib/mirrorbuddy/deployments
  stop_timeout:
    description: Seconds a stopping container gets to finish its requests before SIGKILL.
    type: int
    default: 30
"""
