"""Phones are read in their row's country, not as if every customer were in China."""

import pandas as pd
import phonenumbers
import pytest

from crm_lab import ingest
from crm_lab.ingest import values

NO_COUNTRY = (
    "invalid_phone: a national number with no country to read it in "
    "(no country on the row; set a default region)"
)


def S(*items):  # noqa: N802 - a tiny constructor for readable cases
    return pd.Series(list(items), dtype="string")


@pytest.mark.parametrize(
    ("phone", "country", "expected"),
    [
        ("(970) 555-0101", "United States", "+19705550101"),
        # libphonenumber accepts 555-01xx as a valid US number (checked below)
        ("(602) 555-0105", "USA", "+16025550105"),
        ("020 7946 0018", "United Kingdom", "+442079460018"),
        ("138 0013 8000", "中国", "+8613800138000"),
        ("010-12345678 转 123", "China", "+861012345678;ext=123"),
        ("+44 20 7946 0018", "US", "+442079460018"),  # an explicit prefix wins over the row
        ("0044 20 7946 0018", "United States", "+442079460018"),  # so does 00, written out
        ("+1 650 253 0000", "中国", "+16502530000"),
    ],
)
def test_a_phone_is_read_in_its_rows_country(phone, country, expected):
    parsed = values.parse_phones(S(phone), countries=S(country))
    assert parsed.values.tolist() == [expected]
    assert parsed.reasons.isna().all() and parsed.fixes["phone_country_assumed"] == 0


def test_the_us_test_numbers_are_valid_to_libphonenumber():
    for number in ("(970) 555-0101", "(602) 555-0105"):
        assert phonenumbers.is_valid_number(phonenumbers.parse(number, "US"))


def test_the_old_bug_us_numbers_are_not_read_as_chinese():
    parsed = values.parse_phones(S("(970) 555-0101", "(602) 555-0105"), countries=S("US", "US"))
    assert not parsed.values.str.startswith("+86").any()
    # what the CN default made of them: one wrong number, one rejection
    old = values.parse_phones(S("(970) 555-0101", "(602) 555-0105"), region="CN")
    assert old.values.iloc[0] == "+869705550101" and old.reasons.iloc[1].startswith("invalid")


def test_rows_without_a_country_are_read_in_the_default_region_and_counted():
    phones = S("(970) 555-0101", "(970) 555-0101", "020 7946 0018", "+44 20 7946 0018", None)
    countries = S(None, "Unspecified", "UK", None, None)
    parsed = values.parse_phones(phones, region="US", countries=countries)
    assert parsed.values.tolist()[:4] == [
        "+19705550101",
        "+19705550101",
        "+442079460018",
        "+442079460018",
    ]
    assert pd.isna(parsed.values.iloc[4]) and parsed.reasons.isna().all()
    # the two rows with no recognised country and a national number; the +44 needed none
    assert parsed.fixes["phone_country_assumed"] == 2


def test_without_a_country_or_a_region_a_national_number_is_rejected():
    phones = S("(970) 555-0101", "138-0013-8000", "+44 20 7946 0018", "0044 20 7946 0018")
    parsed = values.parse_phones(phones, countries=S(None, "European Community", None, None))
    assert parsed.reasons.iloc[:2].tolist() == [NO_COUNTRY, NO_COUNTRY]
    assert parsed.values.iloc[:2].isna().all()
    assert parsed.values.iloc[2:].tolist() == ["+442079460018", "+442079460018"]
    assert parsed.fixes["phone_country_assumed"] == 0
    assert values.parse_phones(S("(970) 555-0101")).reasons.tolist() == [NO_COUNTRY]


@pytest.mark.parametrize(
    "raw",
    ["+86 138 0013 8000", "８６１３８００１３８０００", "8613800138000", "(86) 138 0013 8000"],
)
def test_chinese_mobiles_with_their_country_code_need_no_region(raw):
    parsed = values.parse_phones(S(raw))
    assert parsed.values.tolist() == ["+8613800138000"] and parsed.reasons.isna().all()


def test_region_cn_keeps_the_old_behaviour():
    raw = S("+86 138 0013 8000", "8613800138000", "138-0013-8000", "１３８００１３８０００")
    parsed = values.parse_phones(raw, region="CN")
    assert parsed.values.tolist() == ["+8613800138000"] * 4
    assert parsed.fixes["phone_country_assumed"] == 2  # the two national spellings


def test_same_number_in_different_countries_is_read_per_row():
    phones = S("020 7946 0018", "020 7946 0018", "020 7946 0018")
    parsed = values.parse_phones(phones, countries=S("GB", "CN", "England"))
    assert parsed.values.tolist() == ["+442079460018", "+862079460018", "+442079460018"]


def test_unknown_region_and_misaligned_countries_are_errors():
    with pytest.raises(ValueError, match="unknown region"):
        values.parse_phones(S("1"), region="Atlantis")
    with pytest.raises(ValueError, match="index"):
        values.parse_phones(S("1"), countries=pd.Series(["US"], index=[5]))


@pytest.mark.parametrize(
    ("text", "region"),
    [
        ("US", "US"),
        ("gb", "GB"),
        ("CN", "CN"),
        ("United States", "US"),
        ("United States of America", "US"),
        ("USA", "US"),
        ("U.S.A.", "US"),
        ("America", "US"),
        ("  united   STATES ", "US"),
        ("ＵＳＡ", "US"),
        ("United Kingdom", "GB"),
        ("UK", "GB"),
        ("U.K.", "GB"),
        ("Great Britain", "GB"),
        ("England", "GB"),
        ("Scotland", "GB"),
        ("Wales", "GB"),
        ("Northern Ireland", "GB"),
        ("EIRE", "IE"),
        ("Éire", "IE"),
        ("Ireland", "IE"),
        ("RSA", "ZA"),
        ("South Africa", "ZA"),
        ("Korea", "KR"),
        ("South Korea", "KR"),
        ("Hong Kong", "HK"),
        ("Taiwan", "TW"),
        ("Cote d'Ivoire", "CI"),
        ("Netherlands", "NL"),
        ("the Netherlands", "NL"),
        ("中国", "CN"),
        ("中华人民共和国", "CN"),
        ("美国", "US"),
        ("英国", "GB"),
        ("日本", "JP"),
        ("香港", "HK"),
        ("中国香港", "HK"),
        ("台湾", "TW"),
        ("中国台湾", "TW"),
        ("Unspecified", None),
        ("European Community", None),
        ("Channel Islands", None),
        ("West Indies", None),
        ("NA", None),  # a null word elsewhere in ingest, not Namibia
        ("", None),
        (None, None),
    ],
)
def test_region_of_country(text, region):
    assert values.region_of_country(text) == region


def test_country_variants_are_only_what_phonenumbers_lacks():
    from phonenumbers.geodata.locale import LOCALE_DATA

    shipped = set()
    for region, names in LOCALE_DATA.items():
        shipped.add(values._country_key(region))
        for lang in ("en", "zh"):
            name = names.get(lang, "")
            name = names.get(name[1:], "") if name.startswith("*") else name
            shipped.add(values._country_key(name))
    for region, spellings in values._COUNTRY_VARIANTS.items():
        assert region in LOCALE_DATA
        for spelling in spellings:
            assert values._country_key(spelling) not in shipped, spelling


@pytest.mark.parametrize(
    ("number", "region"),
    [
        ("(970) 555-0101", "US"),
        ("650-253-0000", "US"),
        ("212 555 1234", "US"),
        ("020 7946 0018", "GB"),
        ("07400 123456", "GB"),
        ("0161 496 0000", "GB"),
        ("138 0013 8000", "CN"),
        ("010-8888 6666", "CN"),
        ("030 1234567", "DE"),
        ("03-1234-5678", "JP"),
        ("9123 4567", "HK"),
        ("0412 345 678", "AU"),
        ("01 23 45 67 89", "FR"),
        ("12345", "US"),
        ("020 7946 0018", "US"),
        ("+49 30 1234567", "GB"),
    ],
)
def test_cross_check_against_phonenumbers(number, region):
    try:
        direct = phonenumbers.parse(number, region)
    except phonenumbers.NumberParseException:
        direct = None
    if direct is not None and phonenumbers.is_valid_number(direct):
        expected = phonenumbers.format_number(direct, phonenumbers.PhoneNumberFormat.E164)
    else:
        expected = None
    parsed = values.parse_phones(S(number), countries=S(region))
    got = parsed.values.iloc[0]
    assert (None if pd.isna(got) else got) == expected
    assert pd.isna(parsed.reasons.iloc[0]) == (expected is not None)


def test_read_table_reads_each_customers_phone_in_its_country(tmp_path):
    text = (
        "customer_id,name,country,phone\n"
        "1,Linda Clarke,United States,(970) 555-0101\n"
        "2,Tom Baker,USA,(602) 555-0105\n"
        "3,Ann Rhys,United Kingdom,020 7946 0018\n"
        "4,张三,中国,138 0013 8000\n"
        "5,李四,,139 0013 9000\n"
        "6,Ed Stone,US,+44 20 7946 0018\n"
    )
    path = tmp_path / "customers.csv"
    path.write_text(text, encoding="utf-8")
    read = ingest.read_table(path, phone_region="CN")
    assert read.frame["phone"].tolist() == [
        "+19705550101",
        "+16025550105",
        "+442079460018",
        "+8613800138000",
        "+8613900139000",  # no country: the region the user set, CN
        "+442079460018",
    ]
    assert read.quarantine.empty
    fixes = read.fixes.set_index(["column", "rule"])["count"]
    assert fixes[("phone", "phone_country_assumed")] == 1
    assert any("1 phone number(s)" in n and "read as CN numbers" in n for n in read.notes)

    # with no region set, the row without a country is read in the country most rows name
    # (the United States, 3 of 5), where 139 0013 9000 is no number: set missing, with why
    read = ingest.read_table(path)
    assert read.frame["phone"].isna().tolist() == [False] * 4 + [True, False]
    quarantined = read.quarantine
    assert len(quarantined) == 1 and quarantined["rule"].iloc[0] == "invalid_phone"
    assert quarantined["reason"].iloc[0] == "not a valid phone number when read as a US number"


def test_with_no_country_anywhere_a_national_number_is_rejected_with_why(tmp_path):
    path = tmp_path / "customers.csv"
    path.write_text("customer_id,phone\n1,(970) 555-0101\n2,+44 20 7946 0018\n", "utf-8")
    read = ingest.read_table(path)
    assert read.frame["phone"].isna().tolist() == [True, False]
    assert read.quarantine["reason"].tolist() == [NO_COUNTRY.split(": ", 1)[1]]
    # numbers only one region reads: that region, counted as assumed and said
    path.write_text("customer_id,phone\n1,138 0013 8000\n2,139-0013-9000\n", "utf-8")
    read = ingest.read_table(path)
    assert read.frame["phone"].tolist() == ["+8613800138000", "+8613900139000"]
    assert any("2 phone number(s)" in n and "read as CN numbers" in n for n in read.notes)
    # a file with Chinese headers is an export of a Chinese system: CN
    path.write_text("客户编号,手机号\n1,138 0013 8000\n", "utf-8")
    assert ingest.read_table(path).frame["phone"].tolist() == ["+8613800138000"]
