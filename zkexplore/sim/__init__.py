"""The simulated ZooKeeper: a sans-IO core (jute codec, data tree, sessions,
watches, replication) under a thin asyncio TCP front."""
