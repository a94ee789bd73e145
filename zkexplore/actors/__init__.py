"""Actors: fleets of real kazoo clients in threads, running recipes with scripted
behaviour (hold, crash, pause, leave), recording everything in a history."""

from .fleet import ACTOR_KINDS, Actor, FencedStore, Fleet

__all__ = ["Fleet", "Actor", "FencedStore", "ACTOR_KINDS"]
