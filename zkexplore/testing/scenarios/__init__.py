"""The differential corpus: scenarios that a simulated ensemble must run exactly
as a real ZooKeeper 3.8 does.  Importing this package registers them all in
:data:`zkexplore.testing.differential.SCENARIOS`."""

from . import (  # noqa: F401
    acl,
    admin,
    basic,
    ephemeral,
    extended,
    faults,
    faults2,
    multi,
    raw,
    reads,
    sessions,
    watches,
    watches2,
)
