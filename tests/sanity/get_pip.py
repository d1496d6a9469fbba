"""Stand-in for pip's get-pip.py bootstrap script, for `ansible-test sanity` on machines that reach PyPI only.

ansible-test installs pip into each sanity virtual environment by running get-pip.py. It downloads that
script from a host this project cannot reach, unless a cached copy exists. This stand-in does the same job with the
interpreter's own ensurepip, then installs the requested pip version and packages from the configured index.
It accepts get-pip.py's --no-setuptools and --no-wheel options and passes every other argument to pip.
"""

import subprocess
import sys

GET_PIP_ONLY_OPTIONS = {"--no-setuptools", "--no-wheel"}


def main():
    arguments = [argument for argument in sys.argv[1:] if argument not in GET_PIP_ONLY_OPTIONS]
    subprocess.run([sys.executable, "-m", "ensurepip", "--default-pip"], check=True, stdout=subprocess.DEVNULL)
    subprocess.run([sys.executable, "-m", "pip", "install"] + arguments, check=True)


if __name__ == "__main__":
    main()
