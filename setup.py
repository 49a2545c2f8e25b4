"""Package list for setuptools; all metadata lives in pyproject.toml.

The repo keeps each architecture family in the top-level ``architectures/`` folder, and zoo ships that
folder as ``zoo.architectures``: a top-level package named ``architectures`` in site-packages would clash
with any other project's folder of that name. A ``find`` table in pyproject.toml cannot rename a folder,
and a hand-kept list would make adding a family a core edit, so the list is computed here.
"""

from setuptools import find_packages, setup

ARCHITECTURES = "architectures"  # repo folder shipped as the package below
PACKAGE = "zoo.architectures"

setup(
    packages=[
        *find_packages(include=["zoo", "zoo.*"]),
        PACKAGE,
        *(f"{PACKAGE}.{name}" for name in find_packages(ARCHITECTURES)),
    ],
    package_dir={PACKAGE: ARCHITECTURES},
)
