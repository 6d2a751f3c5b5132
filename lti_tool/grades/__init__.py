"""Grades in the LMS gradebook (AGS): results recorded with an outbox row, delivered by a worker.

- :mod:`.results` records a result and its outbox row in one transaction (``record_result``).
- :mod:`.lineitems` finds or creates the platform's line items (``ensure_line_item``).
- :mod:`.delivery` delivers outbox rows: leases, one token per registration, bounded concurrency, retries.
- :mod:`.connector` is pylti1p3's service connector with access tokens shared by every worker.
- :mod:`.activities` grades gradable activities (evaluations by their rule, participation from engagement)
  into the outbox; ``evaluation_submitted`` is the hook the evaluations domain calls.
"""

from .errors import GradeError, InvalidScore, LineItemUnavailable, NotInCourse, PlatformUnavailable

__all__ = ["GradeError", "InvalidScore", "LineItemUnavailable", "NotInCourse", "PlatformUnavailable"]
