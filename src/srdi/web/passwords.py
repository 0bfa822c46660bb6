"""Password rules beyond Django's: character classes (等保 complexity), a maximum length, and no guessable
password (a common word or keyboard walk with digits/symbols around it, leetspeak, the username inside —
``srdi.domain.passwords``)."""

from __future__ import annotations

from django.core.exceptions import ValidationError

from srdi.domain.passwords import guessable


class CharacterClassValidator:
    """Require characters from at least ``min_classes`` of: lower case, upper case, digits, symbols."""

    def __init__(self, min_classes: int = 3):
        self.min_classes = min_classes

    def validate(self, password: str, user: object = None) -> None:
        classes = sum(
            [
                any(c.islower() for c in password),
                any(c.isupper() for c in password),
                any(c.isdigit() for c in password),
                any(not c.isalnum() for c in password),
            ]
        )
        if classes < self.min_classes:
            raise ValidationError(
                f"密码至少包含小写字母、大写字母、数字、符号中的{self.min_classes}类",
                code="password_too_simple",
            )

    def get_help_text(self) -> str:
        return f"至少包含小写字母、大写字母、数字、符号中的{self.min_classes}类。"


class MaximumLengthValidator:
    """Refuse passwords longer than ``max_length`` (protects the hasher)."""

    def __init__(self, max_length: int = 128):
        self.max_length = max_length

    def validate(self, password: str, user: object = None) -> None:
        if len(password) > self.max_length:
            raise ValidationError(f"密码不能超过{self.max_length}个字符", code="password_too_long")

    def get_help_text(self) -> str:
        return f"不超过{self.max_length}个字符。"


class GuessablePasswordValidator:
    """Refuse a password built on a common word, name, place or keyboard walk, or containing the username or
    organisation (see ``srdi.domain.passwords``)."""

    def validate(self, password: str, user: object = None) -> None:
        personal = [str(getattr(user, "username", "") or ""), str(getattr(user, "organisation", "") or "")]
        reason = guessable(password, personal)
        if reason is not None:
            raise ValidationError(reason.message, code=f"password_{reason.value}")

    def get_help_text(self) -> str:
        return (
            "不能以常见单词、人名、地名、常用密码或键盘上相邻的按键为主体（前后加数字、符号或做字母替换也不行），"
            "不能包含用户名或单位名称。"
        )
