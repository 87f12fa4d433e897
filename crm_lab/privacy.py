"""Personal values into masked ones, for anything a person other than the analyst may read."""

from __future__ import annotations

import pandas as pd

__all__ = ["PERSONAL_COLUMNS", "mask_value", "mask_values"]

# Columns whose values identify a person; shown only masked outside the analyst's own tables.
PERSONAL_COLUMNS = frozenset(
    ["customer_id", "name", "phone", "email", "birth_date", "notes", "description", "comment"]
)


def mask_value(column: str, value: object) -> str:
    """Mask one value by what its column holds: ``+8613800138000`` -> ``+86 138****8000``.

    Phones keep the country code, the first three and the last four digits; e-mails the first
    letter and the domain; names the first character; ids the last three characters; dates the
    year; free text and unknown columns only their first character. Other columns (amounts,
    product codes, rules) are returned as they are.

    >>> mask_value("email", "linda.clarke@example.com"), mask_value("name", "张三")
    ('l***@example.com', '张*')
    """
    if value is None or value is pd.NA or (isinstance(value, float) and pd.isna(value)):
        return ""
    text = str(value).strip()
    if not text:
        return ""
    if column == "phone":
        import phonenumbers

        try:
            number = phonenumbers.parse(text.split(";")[0], "CN")
        except phonenumbers.NumberParseException:
            number = None
        national = str(number.national_number) if number else ""
        if len(national) >= 7:
            return f"+{number.country_code} {national[:3]}****{national[-4:]}"
        return "*" * min(len(text), 8)
    if column == "email":
        local, _, domain = text.partition("@")
        return f"{local[:1]}***@{domain}" if domain else f"{text[:1]}***"
    if column == "name":
        return text[:1] + "*" * max(1, min(len(text) - 1, 3))
    if column == "customer_id":
        return "***" + text[-3:] if len(text) > 3 else "***"
    if column == "birth_date":
        return text[:4] + "-**-**"
    if column in PERSONAL_COLUMNS or column == "":
        return text[:1] + "…"
    return text


def mask_values(frame: pd.DataFrame, *, column_col: str = "column", value_col: str = "value"):
    """Return a copy of a long table (one value per row) with ``value_col`` masked by column."""
    out = frame.copy()
    out[value_col] = [
        mask_value(c, v) for c, v in zip(out[column_col], out[value_col], strict=True)
    ]
    return out
