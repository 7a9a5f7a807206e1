"""The demo data set: sizes, determinism, valid and unique identifiers, fixed sign-ins."""

from __future__ import annotations

import datetime
from collections import Counter

import pytest

from marketplace.demo_data import (
    CLUSTER_WEIGHTS,
    CLUSTERS,
    DEMO_PASSWORD,
    OPERATOR_EMAIL,
    SPECIALTY_BY_KEY,
    STANDARDS,
    STREETS,
    DemoCompany,
    allocate,
    cluster_of,
    find_cluster,
    generate_demo_companies,
    japanese_corporate_number,
    name_prefix,
)
from marketplace.uscc import uscc_problem

REFERENCE_DATE = datetime.date(2026, 11, 1)


@pytest.fixture(scope="module")
def companies() -> list[DemoCompany]:
    return generate_demo_companies()


def by_key(companies: list[DemoCompany]) -> dict[str, DemoCompany]:
    return {company.key: company for company in companies}


def test_counts_per_role(companies: list[DemoCompany]) -> None:
    keys = [company.key for company in companies]
    assert keys[:200] == [f"supplier-{n:03d}" for n in range(1, 201)]
    assert keys[200:240] == [f"buyer-{n:03d}" for n in range(1, 41)]
    assert keys[240:] == ["lender-001", "lender-002", "lender-003"]
    assert all(company.roles[0] == company.key.split("-")[0] for company in companies)
    also_buying = [c for c in companies if c.roles == ("supplier", "buyer")]
    assert 3 <= len(also_buying) <= 15
    for company in companies:
        assert set(company.roles) <= {"supplier", "buyer", "lender"}


def test_same_seed_same_data_other_seed_other_data(companies: list[DemoCompany]) -> None:
    assert generate_demo_companies() == companies
    assert generate_demo_companies(2026, REFERENCE_DATE) == companies
    assert generate_demo_companies(seed=7) != companies


def test_chinese_registration_numbers_are_valid_and_match_the_city(
    companies: list[DemoCompany],
) -> None:
    chinese = [company for company in companies if company.country == "CN"]
    assert len(chinese) == 200 + 34 + 3
    for company in chinese:
        code = company.registration_number
        assert uscc_problem(code) is None, (company.key, code)
        assert code[:2] == "91"
        cluster = cluster_of(company)
        assert cluster is not None and code[2:8] == cluster.division_code
        assert cluster.province_zh == company.province


def test_registration_numbers_and_names_are_unique(companies: list[DemoCompany]) -> None:
    numbers = Counter((company.country, company.registration_number) for company in companies)
    assert numbers.most_common(1)[0][1] == 1
    assert len({company.legal_name for company in companies}) == len(companies)


def test_foreign_buyers(companies: list[DemoCompany]) -> None:
    foreign = [company for company in companies if company.country != "CN"]
    assert Counter(company.country for company in foreign) == {"DE": 2, "US": 2, "JP": 2}
    for company in foreign:
        assert company.roles == ("buyer",)
        assert company.legal_name == company.english_name
        assert all(user.preferred_language == "en" for user in company.users)
        number = company.registration_number
        if company.country == "DE":
            assert number.startswith("HRB ") and number[4:].isdigit()
        elif company.country == "US":
            assert len(number) == 10 and number[2] == "-"
        else:
            assert len(number) == 13 and japanese_corporate_number(number[1:]) == number


def test_japanese_corporate_number_check_digit() -> None:
    assert japanese_corporate_number("000012050002") == "7000012050002"  # the NTA's own


def test_fixed_sign_ins() -> None:
    companies = by_key(generate_demo_companies())
    assert companies["supplier-001"].users[0].email == "supplier@demo.sharefab.cn"
    assert companies["buyer-001"].users[0].email == "buyer@demo.sharefab.cn"
    assert companies["lender-001"].users[0].email == "lender@demo.sharefab.cn"
    assert OPERATOR_EMAIL == "operator@demo.sharefab.cn"
    assert DEMO_PASSWORD == "sharefab-demo"


def test_fixed_sign_ins_do_not_depend_on_the_seed() -> None:
    companies = by_key(generate_demo_companies(seed=99))
    assert companies["supplier-001"].users[0].email == "supplier@demo.sharefab.cn"
    assert companies["supplier-001"].legal_name == "东莞市精创精密机械有限公司"


def test_emails_are_unique_lowercase_and_not_the_operator(companies: list[DemoCompany]) -> None:
    emails = [user.email for company in companies for user in company.users]
    assert len(emails) == len(set(emails))
    assert all(email == email.lower() and email.count("@") == 1 for email in emails)
    assert OPERATOR_EMAIL not in emails


def test_every_company_has_its_owner_first(companies: list[DemoCompany]) -> None:
    for company in companies:
        assert 1 <= len(company.users) <= 3
        assert [user.role for user in company.users] == ["owner"] + ["member"] * (
            len(company.users) - 1
        )
        assert all(user.preferred_language in ("zh_CN", "en") for user in company.users)
        assert all(user.display_name for user in company.users)


def test_first_supplier_is_a_verified_dongguan_cnc_shop(companies: list[DemoCompany]) -> None:
    supplier = companies[0]
    assert supplier.key == "supplier-001"
    assert supplier.verified
    assert supplier.city == "东莞市" and supplier.province == "广东省"
    assert supplier.registration_number[2:8] == "441900"
    assert supplier.specialties == ("cnc machining",)
    standards = {c.standard for c in supplier.certifications}
    assert {"ISO 9001", "IATF 16949"} <= standards
    assert all(c.valid_until > REFERENCE_DATE for c in supplier.certifications)


def test_first_buyer_is_an_equipment_maker_in_suzhou_or_shanghai(
    companies: list[DemoCompany],
) -> None:
    buyer = by_key(companies)["buyer-001"]
    assert buyer.city in ("苏州市", "上海市")
    assert "装备" in buyer.legal_name or "设备" in buyer.legal_name


def test_suppliers(companies: list[DemoCompany]) -> None:
    suppliers = [company for company in companies if "supplier" in company.roles]
    unverified = sum(not company.verified for company in suppliers)
    assert 10 <= unverified <= 50
    for company in suppliers:
        assert company.legal_name.startswith(name_prefix(cluster_of(company)))
        assert company.legal_name.endswith("有限公司")
        assert company.english_name.endswith("Co., Ltd.")
        assert 0 <= len(company.certifications) <= 4
        assert company.specialties
        assert set(company.specialties) <= set(cluster_of(company).specialties)
        assert company.founded_year <= REFERENCE_DATE.year


def test_certifications(companies: list[DemoCompany]) -> None:
    certifications = [c for company in companies for c in company.certifications]
    assert {c.standard for c in certifications} <= set(STANDARDS)
    expired = sum(c.valid_until < REFERENCE_DATE for c in certifications)
    assert 0 < expired < len(certifications) * 0.2
    for company in companies:
        standards = [c.standard for c in company.certifications]
        assert len(standards) == len(set(standards))


def test_descriptions_are_chinese_then_english(companies: list[DemoCompany]) -> None:
    for company in companies:
        assert "\u4e00" <= company.description[0] <= "\u9fff", company.key
        assert company.description.rstrip().endswith("."), company.key


def test_suppliers_are_spread_over_all_clusters(companies: list[DemoCompany]) -> None:
    cities = Counter(company.city for company in companies if company.key.startswith("supplier"))
    assert len(cities) == len(CLUSTERS)
    assert cities.most_common(1)[0][0] == "东莞市"


@pytest.mark.parametrize(
    ("city_en", "city_zh", "province_zh", "division_code"),
    [
        ("Dongguan", "东莞市", "广东省", "441900"),
        ("Shenzhen", "深圳市", "广东省", "440300"),
        ("Ningbo", "宁波市", "浙江省", "330200"),
        ("Suzhou", "苏州市", "江苏省", "320500"),
        ("Chongqing", "重庆市", "重庆市", "500000"),
    ],
)
def test_known_clusters(city_en: str, city_zh: str, province_zh: str, division_code: str) -> None:
    cluster = find_cluster(city_en)
    assert (cluster.city_zh, cluster.province_zh, cluster.division_code) == (
        city_zh,
        province_zh,
        division_code,
    )


def test_cluster_tables_are_consistent() -> None:
    assert len(CLUSTERS) >= 16
    assert len({cluster.division_code for cluster in CLUSTERS}) == len(CLUSTERS)
    for cluster in CLUSTERS:
        assert len(cluster.division_code) == 6 and cluster.division_code.isdigit()
        assert 18 < cluster.latitude < 42 and 100 < cluster.longitude < 123
        assert cluster.specialties and set(cluster.specialties) <= set(SPECIALTY_BY_KEY)
        assert STREETS[cluster.city_en]
    assert list(CLUSTER_WEIGHTS) == [cluster.city_en for cluster in CLUSTERS]


def test_municipalities_drop_shi_from_company_names() -> None:
    assert name_prefix(find_cluster("Shanghai")) == "上海"
    assert name_prefix(find_cluster("Dongguan")) == "东莞市"


def test_allocate_hands_out_exactly_the_total() -> None:
    assert sum(allocate(200, CLUSTER_WEIGHTS).values()) == 200
    assert allocate(10, {"a": 1, "b": 1, "c": 1}) == {"a": 4, "b": 3, "c": 3}
