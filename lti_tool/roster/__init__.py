"""The course roster from the platform's Names and Role Provisioning Service (NRPS 2.0).

``service.sync_roster`` is the domain service (no Flask, no HTTP); ``nrps`` reads the roster pages with
pylti1p3; ``tasks`` runs the two as the ``roster.sync`` job and starts it from views and launches.
"""

from .service import RosterCounts, RosterError, sync_roster

__all__ = ["RosterCounts", "RosterError", "sync_roster"]
