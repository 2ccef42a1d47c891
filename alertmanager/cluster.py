"""Command-line flags of clustered Alertmanagers (the HA pair, docs/high-availability.md).

Clustering is not part of ``alertmanager.yml``: each Alertmanager is told where to listen for
gossip and which peers to join. Peers share silences and the notification log; every peer
receives every alert (Prometheus sends to all of them) and, for each alert group, the peer at
position *n* in the sorted member list waits *n* x ``--cluster.peer-timeout`` before
notifying, then skips what the notification log says a peer already sent.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["GOSSIP_PORT", "PEER_TIMEOUT", "cluster_flags", "single_flags"]

GOSSIP_PORT = 9094
"""Alertmanager's default gossip port (TCP and UDP)."""
PEER_TIMEOUT = "15s"
"""Alertmanager's default: how long each peer waits for the one ahead of it to notify. It must
exceed a notification's delivery plus one gossip round, or both peers notify."""


def single_flags() -> list[str]:
    """Flags of an Alertmanager alone: clustering off (no gossip port opened)."""
    return ["--cluster.listen-address="]


def cluster_flags(
    listen: str, peers: Sequence[str], *, peer_timeout: str = PEER_TIMEOUT
) -> list[str]:
    """Flags of one clustered Alertmanager.

    Args:
        listen: Its gossip ``host:port`` (``0.0.0.0:9094`` in a container, a loopback port
            on one machine).
        peers: The other members' gossip ``host:port``; one reachable peer is enough to join,
            listing them all lets a restarted member rejoin whichever is up.
        peer_timeout: ``--cluster.peer-timeout`` (see :data:`PEER_TIMEOUT`).
    """
    if not peers:
        raise ValueError("a clustered Alertmanager needs at least one peer")
    return [
        f"--cluster.listen-address={listen}",
        *(f"--cluster.peer={peer}" for peer in peers),
        f"--cluster.peer-timeout={peer_timeout}",
    ]
