"""Who is acting: the viewer of a discussion page, and the permissions the design gives each role.

| role | read forums | post, reply, edit/delete own | report | hide, lock, topics, rules, reports |
| --- | --- | --- | --- | --- |
| coordinator | yes | yes (also in locked topics/threads) | no (they hide) | yes |
| participant who accepted the current rules | yes | yes | yes | no |
| observer who accepted the current rules | yes (read-only) | no | no | no |
| participant or observer who has not accepted | no: sent to the ground rules | no | no | no |

Nobody edits or deletes another person's post; coordinators hide it instead. Everything is scoped by the
viewer's course: ids of another course are "not found".
"""

from __future__ import annotations

from dataclasses import dataclass

COORDINATOR = "coordinator"
PARTICIPANT = "participant"
OBSERVER = "observer"


@dataclass(frozen=True)
class Viewer:
    person_id: int
    course_id: int
    role: str

    @property
    def is_coordinator(self) -> bool:
        return self.role == COORDINATOR

    @property
    def may_write(self) -> bool:
        """Start threads, reply, edit and delete own posts (once the rules are accepted)."""
        return self.role in (COORDINATOR, PARTICIPANT)

    @property
    def may_report(self) -> bool:
        return self.role == PARTICIPANT
