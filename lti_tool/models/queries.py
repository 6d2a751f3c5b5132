"""Small query helpers shared by services (plain SQLAlchemy, no Flask)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

T = TypeVar("T")


def get_or_create(session: Session, find: Callable[[], T | None], create: Callable[[], T]) -> T:
    """Find a row or create it inside a savepoint; a concurrent creator's row wins on a unique conflict.

    Two first launches racing each other (a class opening the tool at once) both try to create the same
    person or course; the loser's savepoint rolls back and it reads the winner's row.
    """
    found = find()
    if found is not None:
        return found
    try:
        with session.begin_nested():
            obj = create()
            session.add(obj)
            session.flush()
        return obj
    except IntegrityError:
        found = find()
        if found is None:
            raise
        return found
