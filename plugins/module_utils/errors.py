# -*- coding: utf-8 -*-
# Copyright: MirrorBuddy operations team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Exceptions raised by the collection's helpers; modules turn them into fail_json once, in main()."""

from __future__ import annotations


class OpsError(Exception):
    """Base class: the message is meant for the operator and names the value and the fix."""

    def __init__(self, message, **details):
        super().__init__(message)
        self.message = message
        self.details = details


class InvalidArgument(OpsError):
    """A module option has a value that cannot be used."""


class TargetError(OpsError):
    """The database target (container, Docker daemon or host binaries) cannot be reached or used."""


class CommandFailed(OpsError):
    """A client program (pg_dump, psql) ran and failed; details carry its exit status and stderr."""


class DumpInvalid(OpsError):
    """A backup file or stream is not a complete, intact dump; details carry what was found."""
