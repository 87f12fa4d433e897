"""The privacy gate: what it finds on a page, what it never repeats, the error it raises."""

from __future__ import annotations

import pandas as pd
import pytest

from crm_lab.core.dataset import Dataset
from crm_lab.reporting import gate


def test_patterns_found_in_visible_text_only():
    page = (
        "<p>Call +86 138-0013-8000 or mail linda.clarke@example.com</p>"
        "<p>ID 110105198001011234</p>"
        "<svg><path d='M 13800138000 L 1'/></svg><script>var p = '13900139000';</script>"
        "<a href='mailto:x@example.org'>link</a>"
    )
    hits = gate.scan_page(page)
    assert hits == [
        {"kind": "phone", "masked": "+86 138****8000"},
        {"kind": "email", "masked": "l***@example.com"},
        {"kind": "chinese_id", "masked": "1101-**-**"},
    ]


def test_known_values_from_the_input():
    customers = pd.DataFrame(
        {
            "customer_id": ["c0001", "c2"],
            "name": ["王小明", "Al"],
            "phone": [None, None],
            "email": [None, None],
        }
    )
    known = gate.known_values(Dataset(tables={"customers": customers}))
    assert known["customer_id"] == {"c0001", "c2"} and known["name"] == {"王小明", "Al"}
    hits = gate.scan_page("<td>c0001</td><td>王小明</td><td>c2</td>", known=known)
    assert {h["kind"] for h in hits} == {"customer_id", "name"}
    assert all("c0001" not in h["masked"] and "小明" not in h["masked"] for h in hits)
    # short ids are too common to block a page; "c0001x" is another word
    assert gate.scan_page("<td>c2</td><td>c0001x</td>", known=known) == []


def test_check_page_raises_a_privacy_gate_error_with_masked_hits():
    gate.check_page("<p>Revenue 1,234,567.00; 42 customers</p>")
    with pytest.raises(gate.PrivacyGateError) as caught:
        gate.check_page("<p>13800138000</p>")
    assert not isinstance(caught.value, PermissionError)
    assert caught.value.hits == [{"kind": "phone", "masked": "+86 138****8000"}]
    assert "privacy gate: 1 personal value(s)" in str(caught.value)
    assert "13800138000" not in str(caught.value)
