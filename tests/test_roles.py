"""LTI role URIs and short forms map to program roles."""

import pytest

from lti_tool.launch.roles import ProgramRole, program_role

M = "http://purl.imsglobal.org/vocab/lis/v2/membership#"
INST = "http://purl.imsglobal.org/vocab/lis/v2/institution/person#"
S = "http://purl.imsglobal.org/vocab/lis/v2/system/person#"


@pytest.mark.parametrize(
    ("roles", "expected"),
    [
        ([M + "Instructor"], ProgramRole.COORDINATOR),
        (["http://purl.imsglobal.org/vocab/lis/v2/membership/Instructor#TeachingAssistant"], ProgramRole.COORDINATOR),
        ([M + "ContentDeveloper"], ProgramRole.COORDINATOR),
        ([M + "Administrator"], ProgramRole.COORDINATOR),
        ([INST + "Administrator", M + "Learner"], ProgramRole.COORDINATOR),
        ([S + "Administrator"], ProgramRole.COORDINATOR),
        ([M + "Learner"], ProgramRole.PARTICIPANT),
        ([INST + "Student", M + "Learner"], ProgramRole.PARTICIPANT),
        (["Learner"], ProgramRole.PARTICIPANT),
        (["Instructor"], ProgramRole.COORDINATOR),
        (["urn:lti:role:ims/lis/Instructor"], ProgramRole.COORDINATOR),
        (["urn:lti:role:ims/lis/Learner"], ProgramRole.PARTICIPANT),
        ([INST + "Student"], ProgramRole.PARTICIPANT),
        ([M + "Mentor"], ProgramRole.OBSERVER),
        ([INST + "Faculty"], ProgramRole.OBSERVER),
        ([], ProgramRole.OBSERVER),
        (["nonsense", 42], ProgramRole.OBSERVER),
    ],
)
def test_program_role(roles, expected):
    """Each role combination maps to the strongest program role it grants."""
    assert program_role(roles) == expected
