"""The capability taxonomy: the shipped data is consistent and broken data is refused precisely."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest

from marketplace.taxonomy import (
    BILLING_UNITS,
    CHOICE_LISTS,
    TAXONOMY,
    Label,
    Taxonomy,
    load_taxonomy,
    parse_taxonomy,
)

HAN = re.compile(r"[\u4e00-\u9fff]")
CODE = re.compile(r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$")


# --- the shipped file ------------------------------------------------------------------------


def test_shipped_file_loads_with_the_expected_sizes():
    taxonomy = load_taxonomy()
    assert taxonomy.processes == TAXONOMY.processes
    assert 7 <= len(TAXONOMY.families) <= 10
    assert 35 <= len(TAXONOMY.processes) <= 50
    assert 25 <= len(TAXONOMY.machine_kinds) <= 50
    assert 30 <= len(TAXONOMY.materials) <= 45
    for family in ("machining", "sheet_metal", "molding_casting", "additive"):
        assert family in TAXONOMY.families
    for family in ("surface_treatment", "assembly", "inspection"):
        assert family in TAXONOMY.families


def test_codes_are_snake_case_and_match_their_keys():
    for entries in (
        TAXONOMY.families,
        TAXONOMY.processes,
        TAXONOMY.machine_kinds,
        TAXONOMY.materials,
    ):
        for code, entry in entries.items():
            assert CODE.match(code), code
            assert entry.code == code


def test_every_process_belongs_to_exactly_one_family_and_is_listed_by_it():
    listed = Counter(code for family in TAXONOMY.families.values() for code in family.processes)
    assert set(listed) == set(TAXONOMY.processes)
    assert max(listed.values()) == 1
    for code, process in TAXONOMY.processes.items():
        assert code in TAXONOMY.families[process.family].processes
        assert TAXONOMY.family_of(code).code == process.family


def test_processes_have_billing_tolerance_and_bilingual_synonyms():
    for code, process in TAXONOMY.processes.items():
        assert process.billing in BILLING_UNITS, code
        assert 0 < process.tolerance_mm <= 2, code
        assert any(HAN.search(term) for term in process.synonyms), code
        assert any(not HAN.search(term) for term in process.synonyms), code


def test_tolerance_hints_rank_processes_sensibly():
    tolerance = {code: process.tolerance_mm for code, process in TAXONOMY.processes.items()}
    assert tolerance["cnc_milling_5axis"] == 0.005
    assert tolerance["cnc_turning"] == 0.01
    assert tolerance["laser_cutting"] == 0.1
    assert tolerance["fdm"] == 0.3
    assert tolerance["wire_edm"] < tolerance["cnc_milling_3axis"] < tolerance["laser_cutting"]
    assert tolerance["sla"] < tolerance["fdm"]


def test_known_labels_use_the_usual_chinese_terms():
    zh = {code: process.label.zh for code, process in TAXONOMY.processes.items()}
    assert zh["cnc_turning"] == "数控车削"
    assert zh["injection_molding"] == "注塑成型"
    assert zh["die_casting"] == "压铸"
    assert zh["laser_cutting"] == "激光切割"
    assert zh["press_brake_bending"] == "折弯"
    assert zh["stamping"] == "冲压"
    assert zh["anodizing"] == "阳极氧化"
    assert "数控铣削" in zh["cnc_milling_3axis"]
    assert TAXONOMY.machine_kinds["cnc_mill_5axis"].label.zh == "五轴加工中心"
    assert TAXONOMY.machine_kinds["mill_turn_center"].label.zh == "车铣复合机床"
    assert TAXONOMY.machine_kinds["cmm"].label.zh == "三坐标测量机"


def test_every_label_is_bilingual():
    labelled = [
        *TAXONOMY.families.values(),
        *TAXONOMY.processes.values(),
        *TAXONOMY.machine_kinds.values(),
        *TAXONOMY.materials.values(),
    ]
    labels = [entry.label for entry in labelled] + list(TAXONOMY.material_groups.values())
    labels += [a.label for kind in TAXONOMY.machine_kinds.values() for a in kind.attributes]
    for label in labels:
        assert label.en.strip() and not HAN.search(label.en), label
        assert HAN.search(label.zh), label


def test_machine_kinds_perform_existing_processes_and_every_process_has_a_machine():
    for code, kind in TAXONOMY.machine_kinds.items():
        assert kind.processes, code
        assert set(kind.processes) <= set(TAXONOMY.processes), code
        assert TAXONOMY.processes_of_kind(code) == kind.processes
    for code in TAXONOMY.processes:
        assert TAXONOMY.kinds_for_process(code), f"no machine kind performs {code}"


def test_five_axis_centres_also_do_three_axis_work():
    assert {"cnc_milling_5axis", "cnc_milling_3axis"} <= set(
        TAXONOMY.processes_of_kind("cnc_mill_5axis")
    )
    assert "cnc_milling_5axis" not in TAXONOMY.processes_of_kind("cnc_mill_3axis")
    assert TAXONOMY.kinds_for_process("injection_molding") == ("injection_molding_machine",)


@pytest.mark.parametrize("kind", ["injection_molding_machine", "die_casting_machine"])
def test_moulding_and_die_casting_machines_require_clamp_tonnage(kind):
    attributes = {a.code: a for a in TAXONOMY.machine_kinds[kind].attributes}
    clamp = attributes["clamp_tonnage_t"]
    assert clamp.required
    assert 0 < clamp.minimum < clamp.maximum
    assert clamp.label.text("zh_CN") == "锁模力（吨）"


def test_most_machine_kinds_carry_no_attributes_and_ranges_are_ordered():
    kinds = TAXONOMY.machine_kinds.values()
    assert sum(1 for kind in kinds if not kind.attributes) > len(kinds) / 2
    for kind in kinds:
        for attribute in kind.attributes:
            assert attribute.minimum <= attribute.maximum, (kind.code, attribute.code)
    required = {a.code for kind in kinds for a in kind.attributes if a.required}
    assert required == {"clamp_tonnage_t"}


def test_materials_reference_existing_groups_and_processes():
    for code, material in TAXONOMY.materials.items():
        assert material.group in TAXONOMY.material_groups, code
        assert material.processes, code
        assert set(material.processes) <= set(TAXONOMY.processes), code
        assert any(HAN.search(term) for term in material.synonyms), code
        assert any(not HAN.search(term) for term in material.synonyms), code
    for code in ("al_6061", "ss_304", "steel_45", "abs", "nylon_pa12", "resin_photopolymer"):
        assert code in TAXONOMY.materials


@pytest.mark.parametrize(
    ("material", "process", "suits"),
    [
        ("al_6061", "cnc_milling_3axis", True),
        ("al_6061", "anodizing", True),
        ("al_adc12", "die_casting", True),
        ("nylon_pa12", "sls", True),
        ("resin_photopolymer", "sla", True),
        ("ss_304", "passivation", True),
        ("abs", "injection_molding", True),
        ("pom", "anodizing", False),
        ("abs", "die_casting", False),
        ("ss_304", "anodizing", False),
        ("pla", "cnc_milling_5axis", False),
        ("resin_photopolymer", "fdm", False),
        ("pom", "cmm_inspection", True),  # inspection and assembly take any material
        ("cfrp", "box_build", True),
        ("unobtainium", "cnc_turning", False),
        ("al_6061", "teleportation", False),
    ],
)
def test_material_suits(material, process, suits):
    assert TAXONOMY.material_suits(material, process) is suits


def test_materials_for_a_process():
    assert "al_6061" in TAXONOMY.materials_for("anodizing")
    assert "pom" not in TAXONOMY.materials_for("anodizing")
    assert set(TAXONOMY.materials_for("cmm_inspection")) == set(TAXONOMY.materials)


def test_unknown_codes_raise_key_errors_naming_the_code():
    with pytest.raises(KeyError, match="teleportation"):
        TAXONOMY.family_of("teleportation")
    with pytest.raises(KeyError, match="replicator"):
        TAXONOMY.processes_of_kind("replicator")


# --- labels and choices ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("zh_CN", "数控车削"),
        ("zh", "数控车削"),
        ("zh-Hans", "数控车削"),
        ("ZH_cn", "数控车削"),
        ("en", "CNC turning"),
        ("en_US", "CNC turning"),
        ("de", "CNC turning"),
        ("", "CNC turning"),
    ],
)
def test_label_text_picks_the_language(language, expected):
    assert TAXONOMY.processes["cnc_turning"].label.text(language) == expected
    assert Label("CNC turning", "数控车削").text(language) == expected


@pytest.mark.parametrize("what", CHOICE_LISTS)
@pytest.mark.parametrize("language", ["zh_CN", "en"])
def test_choices_are_complete_and_labelled(what, language):
    choices = TAXONOMY.choices(what, language)
    codes = [code for code, _ in choices]
    assert len(codes) == len(set(codes))
    assert set(codes) == set(getattr(TAXONOMY, what))
    chinese = language.startswith("zh")
    for code, label in choices:
        assert bool(HAN.search(label)) is chinese, (code, label)


def test_process_choices_follow_family_order():
    codes = [code for code, _ in TAXONOMY.choices("processes", "en")]
    family_positions = [
        list(TAXONOMY.families).index(TAXONOMY.processes[code].family) for code in codes
    ]
    assert family_positions == sorted(family_positions)
    assert codes[:3] == ["cnc_milling_3axis", "cnc_milling_4axis", "cnc_milling_5axis"]
    assert codes == [code for family in TAXONOMY.families.values() for code in family.processes]


def test_material_choices_follow_group_order():
    codes = [code for code, _ in TAXONOMY.choices("materials", "zh_CN")]
    groups = list(TAXONOMY.material_groups)
    ranks = [groups.index(TAXONOMY.materials[code].group) for code in codes]
    assert ranks == sorted(ranks)


def test_grouped_choices():
    processes = dict(TAXONOMY.grouped_choices("processes", "zh_CN"))
    assert ("cnc_turning", "数控车削") in processes["机械加工"]
    materials = TAXONOMY.grouped_choices("materials", "en")
    assert sum(len(group) for _, group in materials) == len(TAXONOMY.materials)
    with pytest.raises(ValueError, match="machine_kinds"):
        TAXONOMY.grouped_choices("machine_kinds", "en")


def test_unknown_choice_list_is_refused():
    with pytest.raises(ValueError, match="gadgets"):
        TAXONOMY.choices("gadgets", "en")


# --- validation on in-memory data ------------------------------------------------------------


def minimal() -> dict[str, Any]:
    """A small valid taxonomy, fresh for each test to mutate."""
    return {
        "_comment": "ignored",
        "version": 1,
        "families": [
            {
                "code": "machining",
                "name_en": "Machining",
                "name_zh": "机械加工",
                "processes": ["cnc_turning", "cnc_milling_3axis"],
            },
            {
                "code": "inspection",
                "name_en": "Inspection",
                "name_zh": "检验检测",
                "processes": ["cmm_inspection"],
            },
        ],
        "processes": [
            {
                "code": "cnc_turning",
                "family": "machining",
                "name_en": "CNC turning",
                "name_zh": "数控车削",
                "billing": "machine_hour",
                "tolerance_mm": 0.01,
                "synonyms": ["车加工", "lathe"],
            },
            {
                "code": "cnc_milling_3axis",
                "family": "machining",
                "name_en": "CNC milling (3-axis)",
                "name_zh": "数控铣削（三轴）",
                "billing": "machine_hour",
                "tolerance_mm": 0.01,
                "synonyms": [],
            },
            {
                "code": "cmm_inspection",
                "family": "inspection",
                "name_en": "CMM inspection",
                "name_zh": "三坐标检测",
                "billing": "value",
                "tolerance_mm": 0.002,
                "synonyms": ["三坐标"],
                "any_material": True,
            },
        ],
        "machine_kinds": [
            {
                "code": "cnc_lathe",
                "name_en": "CNC lathe",
                "name_zh": "数控车床",
                "processes": ["cnc_turning"],
                "attributes": [],
            },
            {
                "code": "injection_molding_machine",
                "name_en": "Injection moulding machine",
                "name_zh": "注塑机",
                "processes": ["cnc_milling_3axis"],
                "attributes": [
                    {
                        "code": "clamp_tonnage_t",
                        "name_en": "Clamp force (t)",
                        "name_zh": "锁模力（吨）",
                        "required": True,
                        "min": 10,
                        "max": 6000,
                    }
                ],
            },
        ],
        "material_groups": [{"code": "aluminium", "name_en": "Aluminium", "name_zh": "铝合金"}],
        "materials": [
            {
                "code": "al_6061",
                "group": "aluminium",
                "name_en": "Aluminium 6061",
                "name_zh": "6061铝合金",
                "processes": ["cnc_turning"],
                "synonyms": ["铝", "aluminum"],
            }
        ],
    }


def test_minimal_taxonomy_parses():
    taxonomy = parse_taxonomy(minimal())
    assert isinstance(taxonomy, Taxonomy)
    assert taxonomy.family_of("cmm_inspection").code == "inspection"
    assert taxonomy.material_suits("al_6061", "cnc_turning")
    assert not taxonomy.material_suits("al_6061", "cnc_milling_3axis")
    assert taxonomy.material_suits("al_6061", "cmm_inspection")
    clamp = taxonomy.machine_kinds["injection_molding_machine"].attributes[0]
    assert (clamp.minimum, clamp.maximum, clamp.required) == (10.0, 6000.0, True)
    assert taxonomy.choices("processes", "zh_CN")[0] == ("cnc_turning", "数控车削")


def _process(data: dict[str, Any], code: str) -> dict[str, Any]:
    return next(entry for entry in data["processes"] if entry["code"] == code)


def _set(section: str, index: int, key: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def mutate(data: dict[str, Any]) -> None:
        data[section][index][key] = value

    return mutate


def _duplicate_process(data: dict[str, Any]) -> None:
    data["processes"].append(dict(_process(data, "cnc_turning")))


def _move_process(data: dict[str, Any]) -> None:
    data["families"][0]["processes"].remove("cnc_milling_3axis")
    data["families"][1]["processes"].append("cnc_milling_3axis")


def _list_twice(data: dict[str, Any]) -> None:
    data["families"][1]["processes"].append("cnc_turning")


def _attribute(key: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def mutate(data: dict[str, Any]) -> None:
        data["machine_kinds"][1]["attributes"][0][key] = value

    return mutate


def _drop(section: str) -> Callable[[dict[str, Any]], None]:
    def mutate(data: dict[str, Any]) -> None:
        del data[section]

    return mutate


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (
            _set("families", 0, "processes", ["cnc_turning", "cnc_milling_3axis", "cnc_hobbing"]),
            r"family 'machining' lists unknown process 'cnc_hobbing'",
        ),
        (_duplicate_process, r"duplicate process code 'cnc_turning'"),
        (
            _set("processes", 0, "billing", "per_kg"),
            r"process 'cnc_turning': billing 'per_kg' is not one of machine_hour, piece, value",
        ),
        (
            _set("processes", 1, "name_zh", " "),
            r"process 'cnc_milling_3axis': name_zh must be a non-empty string",
        ),
        (
            _set("processes", 0, "name_zh", "CNC turning"),
            r"process 'cnc_turning': name_zh 'CNC turning' contains no Chinese characters",
        ),
        (
            _set("processes", 0, "name_en", "数控车削"),
            r"process 'cnc_turning': name_en '数控车削' contains Chinese characters",
        ),
        (
            _set("processes", 0, "tolerance_mm", 0),
            r"process 'cnc_turning': tolerance_mm must be positive",
        ),
        (
            _set("processes", 0, "tolerance_mm", "0.01"),
            r"process 'cnc_turning': tolerance_mm must be a finite number",
        ),
        (
            _set("processes", 0, "family", "plumbing"),
            r"process 'cnc_turning' names unknown family 'plumbing'",
        ),
        (
            _move_process,
            r"process 'cnc_milling_3axis' belongs to family 'machining' "
            r"but is listed by family 'inspection'",
        ),
        (_list_twice, r"process 'cnc_turning' is listed by families 'machining' and 'inspection'"),
        (
            _set("families", 0, "processes", ["cnc_turning"]),
            r"process 'cnc_milling_3axis' is missing from the list of its family 'machining'",
        ),
        (_set("families", 0, "processes", []), r"family 'machining': processes must not be empty"),
        (
            _set("processes", 0, "synonyms", ["lathe", "Lathe"]),
            r"process 'cnc_turning': synonyms repeat 'lathe'",
        ),
        (_set("processes", 0, "speed", 3), r"process 'cnc_turning': unknown key speed"),
        (
            _set("processes", 0, "code", "CNC-Turning"),
            r"processes\[0\]: code 'CNC-Turning' is not a lowercase snake_case identifier",
        ),
        (
            _set("machine_kinds", 0, "processes", ["cnc_turning", "cnc_boring"]),
            r"machine kind 'cnc_lathe' lists unknown process 'cnc_boring'",
        ),
        (
            _set("machine_kinds", 0, "processes", []),
            r"machine kind 'cnc_lathe': processes must not be empty",
        ),
        (
            _attribute("min", 7000),
            r"machine kind 'injection_molding_machine', attribute 'clamp_tonnage_t': "
            r"min 7000 is greater than max 6000",
        ),
        (
            _attribute("required", "yes"),
            r"attribute 'clamp_tonnage_t': required must be true or false",
        ),
        (
            _set("materials", 0, "processes", ["cnc_turning", "anodizing"]),
            r"material 'al_6061' lists unknown process 'anodizing'",
        ),
        (
            _set("materials", 0, "group", "unobtainium"),
            r"material 'al_6061' names unknown group 'unobtainium'",
        ),
        (_drop("materials"), r"missing top-level list 'materials'"),
        (
            _set("materials", 0, "name_en", None),
            r"material 'al_6061': name_en must be a non-empty string",
        ),
    ],
)
def test_broken_taxonomy_names_the_bad_code(mutate, message):
    data = minimal()
    mutate(data)
    with pytest.raises(ValueError, match=message):
        parse_taxonomy(data)


def test_every_problem_is_reported_at_once():
    data = minimal()
    data["processes"][0]["billing"] = "per_kg"
    data["materials"][0]["group"] = "unobtainium"
    with pytest.raises(ValueError, match=r"2 problems") as raised:
        parse_taxonomy(data)
    assert "per_kg" in str(raised.value) and "unobtainium" in str(raised.value)


def test_unknown_top_level_key_and_non_object_are_refused():
    data = minimal()
    data["machines"] = []
    with pytest.raises(ValueError, match="unknown top-level key 'machines'"):
        parse_taxonomy(data)
    with pytest.raises(ValueError, match="expected a JSON object"):
        parse_taxonomy([])  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "mutate",
    [
        _set("families", 0, "processes", []),
        _set("processes", 0, "family", "plumbing"),
        _set("processes", 0, "billing", "per_kg"),
        _attribute("min", 7000),
    ],
)
def test_one_mistake_gives_one_message(mutate):
    data = minimal()
    mutate(data)
    with pytest.raises(ValueError, match=r"^invalid taxonomy \(1 problem\):\n- [^\n]+$"):
        parse_taxonomy(data)
