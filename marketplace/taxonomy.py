"""The capability taxonomy: process families, processes, machine kinds and materials.

The vocabulary is data, kept in ``marketplace/data/taxonomy.json`` so that it can be reviewed and
extended without touching code; this module only parses and checks it. Standard library only (no
Flask, SQLAlchemy or SDK imports), so forms, services, search and matching can all share it.

Codes are stable lowercase snake_case identifiers stored in the database: labels may be reworded,
codes are never renamed or reused. Every label carries English and Simplified Chinese.

File layout (lists keep their order, which is the order shown to users):

- ``families``: ``code``, ``name_en``, ``name_zh``, ``processes`` (process codes, in order).
- ``processes``: ``code``, ``family``, ``name_en``, ``name_zh``, ``billing`` (one of
  `BILLING_UNITS`), ``tolerance_mm`` (typical best tolerance, a hint only), ``synonyms`` and the
  optional ``any_material`` (true for assembly and inspection: every material suits them).
- ``machine_kinds``: ``code``, ``name_en``, ``name_zh``, ``processes``, ``attributes`` (each
  ``code``, ``name_en``, ``name_zh``, ``required``, ``min``, ``max``).
- ``material_groups``: ``code``, ``name_en``, ``name_zh``.
- ``materials``: ``code``, ``group``, ``name_en``, ``name_zh``, ``processes``, ``synonyms``.

Top-level keys starting with an underscore are comments and are ignored; ``version`` is optional.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

BILLING_UNITS = ("machine_hour", "piece", "value")
DEFAULT_PATH = Path(__file__).resolve().parent / "data" / "taxonomy.json"
CHOICE_LISTS = ("families", "processes", "machine_kinds", "materials", "material_groups")

_CODE = re.compile(r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$")
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
_SECTIONS = ("families", "processes", "machine_kinds", "material_groups", "materials")
_NAMES = ("name_en", "name_zh")


def is_chinese(language: object) -> bool:
    """Whether a locale such as ``zh_CN``, ``zh-Hans`` or ``zh`` asks for Chinese labels."""
    return str(language or "").strip().lower().replace("-", "_").startswith("zh")


@dataclass(frozen=True)
class Label:
    en: str
    zh: str

    def text(self, language: str) -> str:
        """The Chinese label for a ``zh…`` locale, the English one for any other."""
        return self.zh if is_chinese(language) else self.en


@dataclass(frozen=True)
class Family:
    code: str
    label: Label
    processes: tuple[str, ...]


@dataclass(frozen=True)
class Process:
    code: str
    family: str
    label: Label
    billing: str
    tolerance_mm: float
    synonyms: tuple[str, ...]
    any_material: bool = False


@dataclass(frozen=True)
class MachineAttribute:
    code: str
    label: Label
    required: bool
    minimum: float
    maximum: float


@dataclass(frozen=True)
class MachineKind:
    code: str
    label: Label
    processes: tuple[str, ...]
    attributes: tuple[MachineAttribute, ...]


@dataclass(frozen=True)
class Material:
    code: str
    group: str
    label: Label
    processes: tuple[str, ...]
    synonyms: tuple[str, ...]


class Taxonomy:
    """The checked taxonomy; build it with `parse_taxonomy` or `load_taxonomy`, do not mutate."""

    def __init__(
        self,
        families: dict[str, Family],
        processes: dict[str, Process],
        machine_kinds: dict[str, MachineKind],
        materials: dict[str, Material],
        material_groups: dict[str, Label] | None = None,
    ) -> None:
        self.families = families
        self.processes = processes
        self.machine_kinds = machine_kinds
        self.materials = materials
        self.material_groups = material_groups or {}
        # Processes grouped by family order, materials by group order; both stable otherwise.
        self._process_order = tuple(
            code for family in families.values() for code in family.processes if code in processes
        )
        group_rank = {code: rank for rank, code in enumerate(self.material_groups)}
        self._material_order = tuple(
            sorted(
                materials, key=lambda code: group_rank.get(materials[code].group, len(group_rank))
            )
        )

    def __repr__(self) -> str:
        return (
            f"<Taxonomy {len(self.families)} families, {len(self.processes)} processes, "
            f"{len(self.machine_kinds)} machine kinds, {len(self.materials)} materials>"
        )

    def family_of(self, process_code: str) -> Family:
        """The family of a process. Raises KeyError for an unknown process code."""
        return self.families[self._process(process_code).family]

    def processes_of_kind(self, kind_code: str) -> tuple[str, ...]:
        """Process codes a machine of this kind can perform. Raises KeyError if unknown."""
        kind = self.machine_kinds.get(kind_code)
        if kind is None:
            raise KeyError(f"unknown machine kind {kind_code!r}")
        return kind.processes

    def kinds_for_process(self, process_code: str) -> tuple[str, ...]:
        """Machine kinds able to perform a process, in file order. Raises KeyError if unknown."""
        self._process(process_code)
        return tuple(
            code for code, kind in self.machine_kinds.items() if process_code in kind.processes
        )

    def material_suits(self, material_code: str, process_code: str) -> bool:
        """Whether the material is usually worked by the process; False for unknown codes."""
        material = self.materials.get(material_code)
        process = self.processes.get(process_code)
        if material is None or process is None:
            return False
        return process.any_material or process_code in material.processes

    def materials_for(self, process_code: str) -> tuple[str, ...]:
        """Material codes that suit a process, in display order. Raises KeyError if unknown."""
        self._process(process_code)
        return tuple(
            code for code in self._material_order if self.material_suits(code, process_code)
        )

    def choices(self, what: str, language: str) -> list[tuple[str, str]]:
        """``(code, label)`` pairs for a <select>, in display order.

        ``what`` is one of `CHOICE_LISTS`. Processes follow family order and each family's own
        list; materials follow group order; the rest follow the file.
        """
        if what == "processes":
            return [
                (code, self.processes[code].label.text(language)) for code in self._process_order
            ]
        if what == "materials":
            return [
                (code, self.materials[code].label.text(language)) for code in self._material_order
            ]
        if what == "material_groups":
            return [(code, label.text(language)) for code, label in self.material_groups.items()]
        if what in ("families", "machine_kinds"):
            entries: dict[str, Family] | dict[str, MachineKind] = getattr(self, what)
            return [(code, entry.label.text(language)) for code, entry in entries.items()]
        raise ValueError(f"unknown choice list {what!r}; expected one of {', '.join(CHOICE_LISTS)}")

    def grouped_choices(self, what: str, language: str) -> list[tuple[str, list[tuple[str, str]]]]:
        """Processes by family or materials by group, as ``(group label, choices)`` pairs.

        ``dict(...)`` of the result is what WTForms' SelectField takes for <optgroup>s.
        """
        if what == "processes":
            return [
                (
                    family.label.text(language),
                    [
                        (code, self.processes[code].label.text(language))
                        for code in family.processes
                    ],
                )
                for family in self.families.values()
            ]
        if what == "materials":
            return [
                (
                    label.text(language),
                    [
                        (code, self.materials[code].label.text(language))
                        for code in self._material_order
                        if self.materials[code].group == group
                    ],
                )
                for group, label in self.material_groups.items()
            ]
        raise ValueError(f"grouped choices exist for 'processes' and 'materials', not {what!r}")

    def _process(self, process_code: str) -> Process:
        process = self.processes.get(process_code)
        if process is None:
            raise KeyError(f"unknown process {process_code!r}")
        return process


# ---------------------------------------------------------------------------------------------
# Parsing and checking


class _Problems:
    """Collects every problem so that one run reports all of them."""

    def __init__(self) -> None:
        self.messages: list[str] = []

    def add(self, message: str) -> None:
        self.messages.append(message)

    def raise_if_any(self) -> None:
        if self.messages:
            count = len(self.messages)
            raise ValueError(
                f"invalid taxonomy ({count} problem{'s' if count > 1 else ''}):\n- "
                + "\n- ".join(self.messages)
            )


def load_taxonomy(path: Path | str | None = None) -> Taxonomy:
    """Read and check a taxonomy JSON file (default: the shipped ``data/taxonomy.json``).

    Raises:
        ValueError: if the file is not valid JSON or the taxonomy is inconsistent.
        OSError: if the file cannot be read.
    """
    source = Path(path) if path is not None else DEFAULT_PATH
    try:
        data = json.loads(source.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise ValueError(f"{source}: not valid JSON: {error}") from error
    try:
        return parse_taxonomy(data)
    except ValueError as error:
        raise ValueError(f"{source}: {error}") from error


def parse_taxonomy(data: Mapping[str, Any]) -> Taxonomy:
    """Build a `Taxonomy` from already-parsed JSON data and check it.

    Checks: known keys, snake_case codes unique within each list, both labels non-empty (the
    Chinese one containing Chinese characters, the English one none), billing units,
    positive tolerances, attribute ranges, and that every referenced code exists; each process
    belongs to exactly one family and is listed by it.

    Raises:
        ValueError: naming every problem found and the code it concerns.
    """
    problems = _Problems()
    if not isinstance(data, Mapping):
        problems.add(f"expected a JSON object at the top level, got {type(data).__name__}")
        problems.raise_if_any()
    for key in data:
        if key not in (*_SECTIONS, "version") and not str(key).startswith("_"):
            problems.add(f"unknown top-level key {key!r}")

    # Codes of entries that exist but failed their own checks are "declared": references to them
    # are not reported again as unknown, so that one mistake gives one message.
    declared: set[tuple[str, str]] = set()
    groups = _section(data, "material_groups", "material group", problems, _parse_group, declared)
    families = _section(data, "families", "family", problems, _parse_family, declared)
    processes = _section(data, "processes", "process", problems, _parse_process, declared)
    kinds = _section(data, "machine_kinds", "machine kind", problems, _parse_kind, declared)
    materials = _section(data, "materials", "material", problems, _parse_material, declared)

    def unknown(section: str, code: str, parsed: Mapping[str, Any]) -> bool:
        return code not in parsed and (section, code) not in declared

    listed_by: dict[str, str] = {}
    for family in families.values():
        for code in family.processes:
            process = processes.get(code)
            if process is None:
                if unknown("processes", code, processes):
                    problems.add(f"family {family.code!r} lists unknown process {code!r}")
            elif code in listed_by:
                problems.add(
                    f"process {code!r} is listed by families {listed_by[code]!r} and "
                    f"{family.code!r}; a process belongs to exactly one family"
                )
            elif process.family != family.code and not unknown(
                "families", process.family, families
            ):
                problems.add(
                    f"process {code!r} belongs to family {process.family!r} "
                    f"but is listed by family {family.code!r}"
                )
            listed_by.setdefault(code, family.code)
    for process in processes.values():
        if process.family not in families:
            if unknown("families", process.family, families):
                problems.add(f"process {process.code!r} names unknown family {process.family!r}")
        elif process.code not in listed_by:
            problems.add(
                f"process {process.code!r} is missing from the list of its family "
                f"{process.family!r}"
            )
    for kind in kinds.values():
        for code in kind.processes:
            if unknown("processes", code, processes):
                problems.add(f"machine kind {kind.code!r} lists unknown process {code!r}")
    for material in materials.values():
        if unknown("material_groups", material.group, groups):
            problems.add(f"material {material.code!r} names unknown group {material.group!r}")
        for code in material.processes:
            if unknown("processes", code, processes):
                problems.add(f"material {material.code!r} lists unknown process {code!r}")

    problems.raise_if_any()
    return Taxonomy(families, processes, kinds, materials, groups)


_Parser = Callable[[str, Mapping[str, Any], _Problems], Any]


def _section(
    data: Mapping[str, Any],
    key: str,
    noun: str,
    problems: _Problems,
    parse: _Parser,
    declared: set[tuple[str, str]],
) -> dict[str, Any]:
    entries = data.get(key)
    if entries is None:
        problems.add(f"missing top-level list {key!r}")
        return {}
    if not isinstance(entries, list):
        problems.add(f"{key!r} must be a list, got {type(entries).__name__}")
        return {}
    parsed: dict[str, Any] = {}
    for position, entry in enumerate(entries):
        if not isinstance(entry, Mapping):
            problems.add(f"{key}[{position}] must be an object, got {type(entry).__name__}")
            continue
        code = entry.get("code")
        if not isinstance(code, str) or not _CODE.match(code):
            problems.add(
                f"{key}[{position}]: code {code!r} is not a lowercase snake_case identifier"
            )
            continue
        where = f"{noun} {code!r}"
        if (key, code) in declared:
            problems.add(f"duplicate {noun} code {code!r}")
            continue
        declared.add((key, code))
        value = parse(where, entry, problems)
        if value is not None:
            parsed[code] = value
    if not entries:
        problems.add(f"{key!r} is empty")
    return parsed


def _keys(
    where: str,
    entry: Mapping[str, Any],
    required: tuple[str, ...],
    problems: _Problems,
    optional: tuple[str, ...] = (),
) -> bool:
    missing = [key for key in required if key not in entry]
    unknown = [key for key in entry if key not in required and key not in optional]
    if missing:
        problems.add(f"{where}: missing {', '.join(missing)}")
    if unknown:
        problems.add(f"{where}: unknown key{'s' if len(unknown) > 1 else ''} {', '.join(unknown)}")
    return not missing


def _label(where: str, entry: Mapping[str, Any], problems: _Problems) -> Label | None:
    en, zh = entry.get("name_en"), entry.get("name_zh")
    ok = True
    for key, value in (("name_en", en), ("name_zh", zh)):
        if not isinstance(value, str) or not value.strip():
            problems.add(f"{where}: {key} must be a non-empty string")
            ok = False
    if not ok:
        return None
    assert isinstance(en, str) and isinstance(zh, str)
    if not _HAN.search(zh):
        problems.add(f"{where}: name_zh {zh!r} contains no Chinese characters")
        ok = False
    if _HAN.search(en):
        problems.add(f"{where}: name_en {en!r} contains Chinese characters")
        ok = False
    return Label(en.strip(), zh.strip()) if ok else None


def _codes(
    where: str, value: Any, field: str, problems: _Problems, *, empty_ok: bool = False
) -> tuple[str, ...] | None:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        problems.add(f"{where}: {field} must be a list of codes")
        return None
    if not value and not empty_ok:
        problems.add(f"{where}: {field} must not be empty")
        return None
    bad = [item for item in value if not _CODE.match(item)]
    if bad:
        problems.add(f"{where}: {field} has malformed codes {', '.join(map(repr, bad))}")
        return None
    repeated = sorted({item for item in value if value.count(item) > 1})
    if repeated:
        problems.add(f"{where}: {field} repeats {', '.join(map(repr, repeated))}")
        return None
    return tuple(value)


def _synonyms(where: str, value: Any, problems: _Problems) -> tuple[str, ...] | None:
    if not isinstance(value, list) or not all(
        isinstance(item, str) and item.strip() for item in value
    ):
        problems.add(f"{where}: synonyms must be a list of non-empty strings")
        return None
    folded = [item.strip().casefold() for item in value]
    repeated = sorted({item for item in folded if folded.count(item) > 1})
    if repeated:
        problems.add(f"{where}: synonyms repeat {', '.join(map(repr, repeated))}")
        return None
    return tuple(item.strip() for item in value)


def _number(where: str, value: Any, field: str, problems: _Problems) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        problems.add(f"{where}: {field} must be a finite number, got {value!r}")
        return None
    return float(value)


def _parse_group(where: str, entry: Mapping[str, Any], problems: _Problems) -> Label | None:
    if not _keys(where, entry, ("code", *_NAMES), problems):
        return None
    return _label(where, entry, problems)


def _parse_family(where: str, entry: Mapping[str, Any], problems: _Problems) -> Family | None:
    if not _keys(where, entry, ("code", *_NAMES, "processes"), problems):
        return None
    label = _label(where, entry, problems)
    processes = _codes(where, entry["processes"], "processes", problems)
    if label is None or processes is None:
        return None
    return Family(entry["code"], label, processes)


def _parse_process(where: str, entry: Mapping[str, Any], problems: _Problems) -> Process | None:
    required = ("code", "family", *_NAMES, "billing", "tolerance_mm", "synonyms")
    if not _keys(where, entry, required, problems, optional=("any_material",)):
        return None
    label = _label(where, entry, problems)
    ok = label is not None
    family = entry["family"]
    if not isinstance(family, str) or not _CODE.match(family):
        problems.add(f"{where}: family {family!r} is not a code")
        ok = False
    billing = entry["billing"]
    if billing not in BILLING_UNITS:
        problems.add(f"{where}: billing {billing!r} is not one of {', '.join(BILLING_UNITS)}")
        ok = False
    tolerance = _number(where, entry["tolerance_mm"], "tolerance_mm", problems)
    if tolerance is not None and tolerance <= 0:
        problems.add(f"{where}: tolerance_mm must be positive, got {tolerance:g}")
        tolerance = None
    synonyms = _synonyms(where, entry["synonyms"], problems)
    any_material = entry.get("any_material", False)
    if not isinstance(any_material, bool):
        problems.add(f"{where}: any_material must be true or false")
        ok = False
    if not ok or tolerance is None or synonyms is None:
        return None
    assert label is not None
    return Process(entry["code"], family, label, billing, tolerance, synonyms, any_material)


def _parse_attribute(where: str, entry: Any, problems: _Problems) -> MachineAttribute | None:
    if not isinstance(entry, Mapping):
        problems.add(f"{where}: each attribute must be an object")
        return None
    code = entry.get("code")
    if not isinstance(code, str) or not _CODE.match(code):
        problems.add(f"{where}: attribute code {code!r} is not a lowercase snake_case identifier")
        return None
    where = f"{where}, attribute {code!r}"
    if not _keys(where, entry, ("code", *_NAMES, "required", "min", "max"), problems):
        return None
    label = _label(where, entry, problems)
    required = entry["required"]
    if not isinstance(required, bool):
        problems.add(f"{where}: required must be true or false")
    minimum = _number(where, entry["min"], "min", problems)
    maximum = _number(where, entry["max"], "max", problems)
    if minimum is not None and maximum is not None and minimum > maximum:
        problems.add(f"{where}: min {minimum:g} is greater than max {maximum:g}")
        return None
    if label is None or not isinstance(required, bool) or minimum is None or maximum is None:
        return None
    return MachineAttribute(code, label, required, minimum, maximum)


def _parse_kind(where: str, entry: Mapping[str, Any], problems: _Problems) -> MachineKind | None:
    if not _keys(where, entry, ("code", *_NAMES, "processes"), problems, optional=("attributes",)):
        return None
    label = _label(where, entry, problems)
    processes = _codes(where, entry["processes"], "processes", problems)
    raw_attributes = entry.get("attributes", [])
    if not isinstance(raw_attributes, list):
        problems.add(f"{where}: attributes must be a list")
        return None
    attributes = [_parse_attribute(where, item, problems) for item in raw_attributes]
    codes = [attribute.code for attribute in attributes if attribute is not None]
    repeated = sorted({code for code in codes if codes.count(code) > 1})
    if repeated:
        problems.add(f"{where}: attributes repeat {', '.join(map(repr, repeated))}")
        return None
    if label is None or processes is None or None in attributes:
        return None
    return MachineKind(
        entry["code"], label, processes, tuple(a for a in attributes if a is not None)
    )


def _parse_material(where: str, entry: Mapping[str, Any], problems: _Problems) -> Material | None:
    if not _keys(where, entry, ("code", "group", *_NAMES, "processes", "synonyms"), problems):
        return None
    label = _label(where, entry, problems)
    group = entry["group"]
    if not isinstance(group, str) or not _CODE.match(group):
        problems.add(f"{where}: group {group!r} is not a code")
        return None
    processes = _codes(where, entry["processes"], "processes", problems)
    synonyms = _synonyms(where, entry["synonyms"], problems)
    if label is None or processes is None or synonyms is None:
        return None
    return Material(entry["code"], group, label, processes, synonyms)


TAXONOMY: Taxonomy = load_taxonomy()
