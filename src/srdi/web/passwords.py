"""Password rules beyond Django's: character classes (等保 complexity) and a maximum length."""

from __future__ import annotations

from django.core.exceptions import ValidationError


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
