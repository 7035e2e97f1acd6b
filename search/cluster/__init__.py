"""Serving a sharded index on a Ray cluster: each shard a Ray Serve deployment of replicas
(`replica`: one generation of the shard answering a search's steps; `serving`: the
deployments and `ClusterIndex`, the sharded index whose searches run on them); and an
index's sections embedded there (`embedding`: an actor per node computes what `embed` stores).

Above `search.results` (whose ShardGroup the cluster's shards implement: the merge is the
same code) and below the CLI and the web. The only package that imports Ray, and only
when a cluster is asked for: `pip install govsearch[cluster]`.
"""
