"""Packaging for ``speckle``: the Python client for Speckle v1 servers and a local v1 server."""

from pathlib import Path

from setuptools import find_packages, setup

HERE = Path(__file__).parent
VERSION: dict[str, str] = {}
exec((HERE / "speckle" / "_version.py").read_text(encoding="utf-8"), VERSION)

setup(
    name="speckle",
    version=VERSION["__version__"],
    description="Python client for Speckle v1 servers (REST and websockets) and a local v1 server",
    long_description=(HERE / "README.rst").read_text(encoding="utf-8"),
    long_description_content_type="text/x-rst",
    license="MIT",
    python_requires=">=3.11",
    packages=find_packages(include=["speckle", "speckle.*"]),
    include_package_data=True,
    install_requires=[
        "requests>=2.31,<3",
        "websocket-client>=1.7,<2",
        "pydantic>=2.6,<3",
        # the local v1-compatible server
        "aiohttp>=3.9,<4",
        "bcrypt>=4.1,<6",
        "PyJWT>=2.8,<3",
        # fast JSON for the local server and bulk transfers
        "orjson>=3.8,<4",
        # object fingerprints of bulk transfers: MessagePack (JSON's data model, binary floats) + XXH3
        "ormsgpack>=1.7,<2",
        "xxhash>=3.0,<4",
        # progress bars in the command line
        "tqdm>=4.66,<5",
        # query filters' regular expressions, matched with a time limit by the local server
        "regex>=2023.8",
    ],
    extras_require={
        "test": [
            "pytest>=8,<10",
            "requests-mock>=1.11,<2",
            "graphql-core>=3.2,<4",
            "ruff>=0.6",
            "pytest-timeout>=2.2,<3",
            # property-based tests of the client's handling of malformed answers
            "hypothesis>=6.100,<7",
            # API fuzzing of the local server from the v1 OpenAPI description
            "schemathesis>=4,<5",
        ],
        "docs": [
            "sphinx>=7,<10",
        ],
    },
    entry_points={
        "console_scripts": ["speckle=speckle.cli.main:main"],
        "pytest11": ["speckle=speckle.devserver.pytest_plugin"],
    },
    classifiers=[
        "Programming Language :: Python :: 3",
        "Programming Language :: Python :: 3.11",
        "Framework :: Pytest",
        "Topic :: Scientific/Engineering",
    ],
)
