"""Unsubscribe tokens: signed, no tool session needed, valid until the secret key changes.

A token names a person, a course and a kind (or ``"all"``). It is signed with the app's ``SECRET_KEY``
(itsdangerous, its own salt), so it cannot be forged or altered to unsubscribe someone else; it does not
expire, because mail sits in inboxes for months and an unsubscribe link must keep working.
"""

from __future__ import annotations

from dataclasses import dataclass

from itsdangerous import BadSignature, URLSafeSerializer

from .outbox import KINDS

SALT = "mentoring-space.notifications.unsubscribe"
ALL = "all"


@dataclass(frozen=True)
class UnsubscribeToken:
    person_id: int
    course_id: int
    kind: str  # a key of KINDS, or "all"

    @property
    def is_all(self) -> bool:
        return self.kind == ALL


class InvalidToken(Exception):
    pass


def _serializer(secret: str) -> URLSafeSerializer:
    return URLSafeSerializer(secret, salt=SALT)


def make_token(secret: str, person_id: int, course_id: int, kind: str) -> str:
    if kind != ALL and kind not in KINDS:
        raise ValueError(kind)
    return _serializer(secret).dumps([person_id, course_id, kind])


def read_token(secret: str, token: str) -> UnsubscribeToken:
    try:
        data = _serializer(secret).loads(token)
    except BadSignature as err:
        raise InvalidToken("bad signature") from err
    if (
        not isinstance(data, list)
        or len(data) != 3
        or not all(isinstance(v, int) for v in data[:2])
        or not isinstance(data[2], str)
        or (data[2] != ALL and data[2] not in KINDS)
    ):
        raise InvalidToken("bad payload")
    return UnsubscribeToken(int(data[0]), int(data[1]), data[2])
