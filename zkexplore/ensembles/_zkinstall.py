"""Find a ZooKeeper installation and a Java runtime to run real servers."""

from __future__ import annotations

import glob
import os
import shutil
from dataclasses import dataclass

from ..errors import ZooKeeperNotFound

__all__ = ["ZooKeeperInstall", "find_zookeeper"]

DEBIAN_JAR_DIR = "/usr/share/java"
INSTALL_HINT = (
    "install Debian's zookeeper package (`apt-get install zookeeper`), "
    "or set ZOOKEEPER_HOME to an unpacked Apache ZooKeeper release"
)


@dataclass(frozen=True)
class ZooKeeperInstall:
    """Where the jars and the client script are, and how to run Java."""

    java: str
    classpath: tuple[str, ...]
    logging_jars: tuple[str, ...]
    bin_dir: str | None
    home: str


def _java() -> str:
    home = os.environ.get("JAVA_HOME")
    if home and os.access(os.path.join(home, "bin", "java"), os.X_OK):
        return os.path.join(home, "bin", "java")
    java = shutil.which("java")
    if not java:
        raise ZooKeeperNotFound(
            "no Java runtime found (needed to run a real ZooKeeper): install one "
            "(`apt-get install zookeeper` brings it) or set JAVA_HOME"
        )
    return java


def find_zookeeper(zookeeper_home: str | None = None) -> ZooKeeperInstall:
    """Locate ZooKeeper: ``zookeeper_home``, then ``$ZOOKEEPER_HOME``, then Debian's package.

    Raises
    ------
    ZooKeeperNotFound
        With a message saying what to install.
    """
    home = zookeeper_home or os.environ.get("ZOOKEEPER_HOME")
    if home:
        jars = sorted(glob.glob(os.path.join(home, "lib", "*.jar"))) + sorted(
            glob.glob(os.path.join(home, "zookeeper-*.jar"))
        )
        if not any(os.path.basename(j).startswith("zookeeper-") for j in jars):
            raise ZooKeeperNotFound(f"no zookeeper-*.jar under {home!r}: {INSTALL_HINT}")
        bin_dir = os.path.join(home, "bin")
        return ZooKeeperInstall(
            java=_java(),
            classpath=tuple(jars),
            logging_jars=(),
            bin_dir=bin_dir if os.path.isdir(bin_dir) else None,
            home=home,
        )
    jar = os.path.join(DEBIAN_JAR_DIR, "zookeeper.jar")
    if not os.path.exists(jar):
        raise ZooKeeperNotFound(f"no ZooKeeper found: {INSTALL_HINT}")
    logging_jars = tuple(
        p
        for p in (
            os.path.join(DEBIAN_JAR_DIR, "slf4j-log4j12.jar"),
            os.path.join(DEBIAN_JAR_DIR, "log4j-1.2.jar"),
        )
        if os.path.exists(p)
    )
    bin_dir = "/usr/share/zookeeper/bin"
    return ZooKeeperInstall(
        java=_java(),
        classpath=(jar,),
        logging_jars=logging_jars,
        bin_dir=bin_dir if os.path.isdir(bin_dir) else None,
        home="/usr/share/zookeeper",
    )
