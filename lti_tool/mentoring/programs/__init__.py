"""A course's mentoring program: settings, who takes part and mentors, and participant profiles.

Pure services over a SQLAlchemy session (no Flask): views and jobs call the same functions. Errors are
``ProgramError`` subclasses with stable codes that the web layer turns into translated messages.
"""

from __future__ import annotations

from .errors import CsvImportError, CsvProblem, NotAllowed, NotInProgram, ProgramError
from .matching_input import MatchingInput, Suggestion, matching_input, suggestions_for
from .mentors import (
    MAX_CSV_BYTES,
    ImportResult,
    InvalidCapacity,
    check_capacity,
    count_mentors,
    decide,
    import_mentors_csv,
    mentors,
    opt_in,
    parse_mentor_csv,
    withdraw,
)
from .participants import (
    designate_role_mentors,
    ensure_participant,
    find_participant,
    get_participant,
    program_and_participant,
    qualifies_by_role,
)
from .profiles import (
    LANGUAGE_CODES,
    MAX_PREFERENCES,
    InvalidProfile,
    ProfileData,
    approved_mentors,
    engine_participant,
    is_time_zone,
    needs_profile,
    save_profile,
    skip_profile,
    time_zones,
)
from .settings import (
    MAX_TAG_LENGTH,
    MAX_TAGS,
    MENTOR_LTI_ROLES,
    WEIGHT_FIELDS,
    ProgramSettings,
    default_weights,
    engine_options,
    engine_weights,
    get_or_create_program,
    get_program,
    update_settings,
)

__all__ = [
    "program_and_participant",
    "LANGUAGE_CODES",
    "MAX_CSV_BYTES",
    "MAX_PREFERENCES",
    "MAX_TAGS",
    "MAX_TAG_LENGTH",
    "MENTOR_LTI_ROLES",
    "WEIGHT_FIELDS",
    "CsvImportError",
    "CsvProblem",
    "ImportResult",
    "InvalidCapacity",
    "InvalidProfile",
    "MatchingInput",
    "NotAllowed",
    "NotInProgram",
    "ProfileData",
    "ProgramError",
    "ProgramSettings",
    "approved_mentors",
    "check_capacity",
    "count_mentors",
    "decide",
    "default_weights",
    "designate_role_mentors",
    "engine_options",
    "engine_participant",
    "engine_weights",
    "ensure_participant",
    "find_participant",
    "get_or_create_program",
    "get_participant",
    "get_program",
    "import_mentors_csv",
    "is_time_zone",
    "matching_input",
    "Suggestion",
    "suggestions_for",
    "mentors",
    "needs_profile",
    "opt_in",
    "parse_mentor_csv",
    "qualifies_by_role",
    "save_profile",
    "skip_profile",
    "time_zones",
    "update_settings",
    "withdraw",
]
