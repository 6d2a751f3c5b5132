"""Domain code stays free of Flask and of the launch layer (STYLE.md: promises in a README are not enough)."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent / "lti_tool"
PURE_PACKAGES = ["models", "mentoring"]
FORBIDDEN = ("flask", "flask_sqlalchemy", "flask_wtf", "flask_babel", "werkzeug", "lti_tool.launch", "lti_tool.views")


def _imports(path: Path):
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level:
                package = ".".join(path.relative_to(ROOT.parent).with_suffix("").parts[: -node.level])
                module = f"{package}.{module}" if module else package
            yield module


def test_domain_packages_do_not_import_flask_or_launch():
    """No module under lti_tool/models or lti_tool/mentoring imports Flask, werkzeug or the web layers."""
    offenders = []
    for package in PURE_PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            for module in _imports(path):
                if module.split(".")[0] in FORBIDDEN or module.startswith(FORBIDDEN):
                    offenders.append(f"{path.relative_to(ROOT.parent)} imports {module}")
    assert offenders == []
