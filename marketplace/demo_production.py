"""The production part of the demo data: machines, capacity, orders, quotes and work packages.

`seed_production()` runs after the accounts seeder (`marketplace/demo.py`). It gives every demo
supplier 2–8 machines that fit its specialties and 1–3 capacity listings with weekly calendars,
holidays and prices in CNY, then plays 300 orders of the demo buyers through their lives: drafts,
open orders with and without quotes (partial and revised ones), awards to one supplier or split
across several, packages in production, in quality check, shipped, delivered, accepted and
reviewed, disputed and resolved, cancelled orders and packages, with milestones along the way.
The fixed sign-ins get a hand-made share: buyer-001 has an order in every state (a split one, one
with five quotes to compare), supplier-001 has machines, listings, quotes and packages in most
states. Every order carries the machine-minutes per piece its quotes' hours come from; a few open
orders (one of buyer-001's among them) are too big for any one supplier before their due date, so
that matching proposes to split them. Last, the matches of every open order are ranked and stored,
as the matching task would once a worker runs.

How the history is made. Every change goes through the marketplace services, which check their
rules against the clock: due dates in the future, quotes valid from today, capacity from today
on. To give the demo a past (orders delivered weeks ago, on time or late, so that scorecards say
something), the seeder replays its events in time order on a simulated clock: while an event
runs, `core.db.utcnow()` answers the moment of that event, so each service checks its rules, and
stamps its rows, as of that moment. One fact is written directly afterwards: the due date of the
completed orders that are meant to have been delivered late (`_backdate_due_dates`). Replaying
lateness on the clock instead would leave overdue bookings on listings for days, and the capacity
rules count overdue work as due today, which would refuse unrelated awards on the same listings.

Deterministic: one `random.Random(SEED)` walked over tuples and lists in order (and a second one
that picks the large orders); dates are relative to the day of seeding, the structure (machines,
listings, orders and their states) is the same on every run.
"""

from __future__ import annotations

import heapq
import io
import itertools
import math
import random
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import click
from sqlalchemy import case, select, text, update

import core.db as core_db
from core.auth import Principal, Scope
from core.db import db, utcnow
from core.unit_of_work import unit_of_work
from marketplace.capacity import Booking, bookings_fit, free_hours_before
from marketplace.demo_data import (
    DEMO_EMAIL_DOMAIN,
    FIXED_OWNER_EMAILS,
    OPERATOR_EMAIL,
    SPECIALTY_BY_KEY,
    DemoCompany,
    generate_demo_companies,
)
from marketplace.lifecycle import Actor, ListingStatus, MachineStatus, PackageStatus, QuoteStatus
from marketplace.models import (
    CapacityBooking,
    CapacityListing,
    Company,
    Machine,
    MachineMaterial,
    MachineProcess,
    Order,
    User,
    WorkPackage,
)
from marketplace.production import Allocation, CapacityExhausted, hours_for
from marketplace.services import machines as machine_services
from marketplace.services import orders as order_services
from marketplace.services import packages as package_services
from marketplace.services.common import record_status
from marketplace.services.matching import MAX_PROPOSED_SUPPLIERS, refresh_matches
from marketplace.taxonomy import TAXONOMY

SEED = 2026
ORDER_COUNT = 300
SHANGHAI = timezone(timedelta(hours=8), "Asia/Shanghai")
# Events happen in the working day of the Chinese clusters, 08:30–19:30 local time.
WORKDAY_START = (8, 30)
WORKDAY = timedelta(hours=11)
# Foreign buyers order in their own currency; quotes follow the order's currency.
CNY_PER_UNIT = {"CNY": Decimal(1), "USD": Decimal("7.10"), "EUR": Decimal("7.75")}
CURRENCY_OF_COUNTRY = {"DE": "EUR", "US": "USD", "JP": "USD"}
CENT = Decimal("0.01")

SUPPLIER_001 = "supplier-001"
BUYER_001 = "buyer-001"
# Targets delivered and closed in the past.
HISTORIC = ("completed", "resolved")
# Targets whose packages are all closed by today, so their bookings no longer hold capacity.
HISTORIC_TARGETS = (*HISTORIC, "cancelled_award")

# Some open orders are too big for any one supplier, so that matching proposes splits: about
# this share of the published ones, and buyer-001's order for this process.
LARGE_ORDER_SHARE = 0.3
LARGE_ORDER_FACTOR = 1.4
LARGE_ORDER_MAX_QUANTITY = 12  # times the most pieces the part is usually ordered in
LARGE_SHOWCASE_PROCESS = "cnc_milling_4axis"

# How many orders end in each state (sums to ORDER_COUNT).
ORDER_MIX: dict[str, int] = {
    "draft": 16,
    "published": 24,
    "quoted": 48,
    "cancelled_open": 12,
    "awarded": 24,
    "in_production": 60,
    "delivered": 16,
    "completed": 76,
    "disputed": 10,
    "resolved": 8,
    "cancelled_award": 6,
}


# --- The equipment catalogue ------------------------------------------------------------------


@dataclass(frozen=True)
class Model:
    brand: str
    model: str
    envelope: tuple[int, int, int]  # mm
    tolerance: str  # mm
    attributes: tuple[tuple[str, int], ...] = ()


@dataclass(frozen=True)
class Kind:
    rate: tuple[int, int]  # CNY per machine-hour, low and high
    models: tuple[Model, ...]


# fmt: off
MACHINES: dict[str, Kind] = {
    "cnc_mill_3axis": Kind((80, 140), (
        Model("DMG MORI", "CMX 600 V", (600, 560, 510), "0.008"),
        Model("Haas", "VF-2", (762, 406, 508), "0.01"),
        Model("Brother", "SPEEDIO S700X2", (700, 400, 300), "0.008"),
        Model("FANUC 法兰克", "ROBODRILL α-D21MiB5", (700, 400, 330), "0.008"),
        Model("沈阳机床 SMTCL", "VMC850E", (850, 500, 540), "0.015"),
        Model("北京精雕 JINGDIAO", "JDLVG600", (600, 500, 300), "0.005"),
        Model("海天精工 Haitian Precision", "VMC1165", (1100, 650, 600), "0.01"),
        Model("友嘉 Feeler", "VMP-1100", (1100, 600, 600), "0.01"),
    )),
    "cnc_mill_4axis": Kind((120, 190), (
        Model("Mazak", "VCN-530C + 4th axis", (1050, 530, 510), "0.008"),
        Model("Haas", "VF-4 + HRT210", (1270, 508, 635), "0.01"),
        Model("Brother", "SPEEDIO M200X3", (200, 440, 305), "0.008"),
        Model("沈阳机床 SMTCL", "VMC1060 + 四轴转台", (1000, 600, 600), "0.012"),
    )),
    "cnc_mill_5axis": Kind((280, 550), (
        Model("DMG MORI", "DMU 50 3rd Generation", (650, 520, 475), "0.005"),
        Model("DMG MORI", "DMU 65 monoBLOCK", (735, 650, 560), "0.005"),
        Model("Mazak", "VARIAXIS i-700", (630, 765, 510), "0.005"),
        Model("Haas", "UMC-750", (762, 508, 508), "0.008"),
        Model("北京精雕 JINGDIAO", "JDGR400", (450, 400, 300), "0.003"),
        Model("科德数控 KEDE", "KTX1250TC", (1250, 800, 650), "0.006"),
    )),
    "cnc_lathe": Kind((60, 110), (
        Model("Mazak", "QUICK TURN 250MY", (380, 380, 555), "0.01"),
        Model("Haas", "ST-20Y", (320, 320, 533), "0.01"),
        Model("DMG MORI", "NLX 2500", (366, 366, 705), "0.008"),
        Model("沈阳机床 SMTCL", "CAK6150", (500, 500, 1000), "0.02"),
        Model("大连机床 DMTG", "CKA6150", (500, 500, 1000), "0.02"),
        Model("宝鸡机床 Baoji", "CK7520 (FANUC 0i-TF)", (360, 360, 500), "0.01"),
    )),
    "swiss_lathe": Kind((90, 150), (
        Model("西铁城 Citizen", "L20 VIII", (20, 20, 200), "0.005"),
        Model("星精密 Star", "SR-20RIV", (20, 20, 210), "0.005"),
        Model("津上 Tsugami", "B0205-III", (20, 20, 210), "0.005"),
    )),
    "mill_turn_center": Kind((200, 350), (
        Model("Mazak", "INTEGREX i-200", (658, 658, 1011), "0.005"),
        Model("DMG MORI", "NTX 1000", (430, 430, 800), "0.005"),
    )),
    "wire_edm": Kind((60, 180), (
        Model("沙迪克 Sodick", "ALN400Q", (400, 300, 250), "0.002"),
        Model("三菱电机 Mitsubishi Electric", "MV1200R", (400, 300, 220), "0.002"),
        Model("苏州三光 Sanguang", "DK7745 中走丝", (450, 550, 300), "0.01"),
    )),
    "sinker_edm": Kind((80, 150), (
        Model("沙迪克 Sodick", "AG60L", (600, 420, 370), "0.003"),
        Model("阿奇夏米尔 GF AgieCharmilles", "FORM 20", (350, 250, 250), "0.003"),
    )),
    "surface_grinder": Kind((70, 120), (
        Model("冈本 Okamoto", "ACC-52DXNC", (500, 200, 300), "0.002"),
        Model("杭州机床 Hangzhou", "MK7132", (630, 320, 400), "0.003"),
    )),
    "cylindrical_grinder": Kind((80, 140), (
        Model("上海机床 SMTW", "MK1320", (200, 200, 750), "0.002"),
        Model("Studer", "S33", (350, 350, 1000), "0.001"),
    )),
    "fiber_laser_cutter": Kind((150, 320), (
        Model("大族 Han's Laser", "G3015HF", (3000, 1500, 25), "0.05", (("laser_power_kw", 12),)),
        Model("通快 Trumpf", "TruLaser 3030 fiber", (3000, 1500, 25), "0.05",
              (("laser_power_kw", 6),)),
        Model("宏山 HSG", "GS3015C", (3050, 1530, 20), "0.05", (("laser_power_kw", 6),)),
        Model("奔腾 Bodor", "C3", (3050, 1530, 20), "0.05", (("laser_power_kw", 3),)),
    )),
    "press_brake": Kind((80, 150), (
        Model("亚威 Yawei", "PBH-110/3100", (3100, 400, 200), "0.1",
              (("bending_force_t", 110), ("bending_length_mm", 3100))),
        Model("通快 Trumpf", "TruBend 5130", (3230, 420, 215), "0.1",
              (("bending_force_t", 130), ("bending_length_mm", 3230))),
        Model("天田 Amada", "HG-1303", (3100, 420, 200), "0.1",
              (("bending_force_t", 130), ("bending_length_mm", 3110))),
    )),
    "turret_punch": Kind((100, 180), (
        Model("天田 Amada", "EM-2510NT", (2500, 1270, 6), "0.1"),
        Model("亚威 Yawei", "HPE-30", (2500, 1250, 6), "0.1"),
    )),
    "stamping_press": Kind((60, 200), (
        Model("扬力 Yangli", "JH21-160", (800, 580, 320), "0.05", (("press_force_t", 160),)),
        Model("会田 Aida", "NC1-200", (900, 650, 400), "0.03", (("press_force_t", 200),)),
        Model("金丰 Jinfeng", "JF21-80", (600, 420, 270), "0.05", (("press_force_t", 80),)),
        Model("扬力 Yangli", "HHS-400 高速冲", (1000, 700, 350), "0.02", (("press_force_t", 400),)),
    )),
    "hydraulic_press": Kind((80, 200), (
        Model("天锻 Tianduan", "YH32-315", (1000, 900, 500), "0.1", (("press_force_t", 315),)),
    )),
    "welding_robot": Kind((90, 160), (
        Model("FANUC 法兰克", "ARC Mate 100iD", (1441, 1441, 1200), "0.5"),
        Model("安川 Yaskawa", "MOTOMAN AR1440", (1440, 1440, 1200), "0.5"),
        Model("埃斯顿 Estun", "ER8-1400", (1400, 1400, 1100), "0.5"),
    )),
    "injection_molding_machine": Kind((60, 260), (
        Model("海天 Haitian", "MA1600/540 Mars", (470, 470, 530), "0.05",
              (("clamp_tonnage_t", 160), ("shot_weight_g", 298))),
        Model("海天 Haitian", "MA3800/2250 Mars", (730, 730, 730), "0.05",
              (("clamp_tonnage_t", 380), ("shot_weight_g", 1020))),
        Model("海天 Zhafir", "VE1200/400 Venus", (410, 410, 450), "0.03",
              (("clamp_tonnage_t", 120), ("shot_weight_g", 180))),
        Model("伊之密 Yizumi", "UN260A5", (580, 580, 600), "0.05",
              (("clamp_tonnage_t", 260), ("shot_weight_g", 560))),
        Model("恩格尔 ENGEL", "victory 200", (560, 560, 600), "0.03",
              (("clamp_tonnage_t", 200), ("shot_weight_g", 450))),
        Model("住友 Sumitomo", "SE180EV-A", (510, 460, 500), "0.02",
              (("clamp_tonnage_t", 180), ("shot_weight_g", 250))),
    )),
    "die_casting_machine": Kind((150, 450), (
        Model("力劲 LK", "DCC280", (560, 560, 550), "0.1", (("clamp_tonnage_t", 280),)),
        Model("力劲 LK", "DCC800", (900, 900, 900), "0.1", (("clamp_tonnage_t", 800),)),
        Model("伊之密 Yizumi", "DM500", (760, 760, 750), "0.1", (("clamp_tonnage_t", 500),)),
        Model("布勒 Bühler", "Carat 140", (1100, 1100, 1000), "0.08", (("clamp_tonnage_t", 1400),)),
    )),
    "investment_casting_line": Kind((200, 400), (
        Model("自建产线 in-house", "硅溶胶精铸线 silica-sol line", (400, 400, 400), "0.1"),
    )),
    "sand_casting_line": Kind((150, 300), (
        Model("新东 Sinto", "FBO-III", (700, 600, 400), "1.0"),
        Model("自建产线 in-house", "树脂砂线 resin-sand line", (1500, 1200, 800), "1.5"),
    )),
    "vacuum_casting_machine": Kind((80, 150), (Model("MCP", "5/01", (900, 900, 800), "0.15"),)),
    "fdm_printer": Kind((20, 50), (
        Model("拓竹 Bambu Lab", "X1E", (256, 256, 256), "0.2"),
        Model("Stratasys", "F370", (355, 254, 355), "0.2"),
        Model("创想三维 Creality", "K1 Max", (300, 300, 300), "0.25"),
    )),
    "sla_printer": Kind((60, 120), (
        Model("联泰 UnionTech", "Lite 600", (600, 600, 400), "0.05"),
        Model("联泰 UnionTech", "Pilot 450", (450, 450, 350), "0.05"),
    )),
    "sls_printer": Kind((150, 300), (
        Model("EOS", "P 396", (340, 340, 600), "0.2"),
        Model("华曙 Farsoon", "HT403P", (400, 400, 450), "0.2"),
    )),
    "mjf_printer": Kind((200, 350), (Model("惠普 HP", "Jet Fusion 5200", (380, 284, 380), "0.2"),)),
    "slm_printer": Kind((500, 900), (
        Model("EOS", "M 290", (250, 250, 325), "0.1"),
        Model("铂力特 BLT", "BLT-S310", (250, 250, 400), "0.1"),
    )),
    "anodizing_line": Kind((150, 300), (
        Model("自建产线 in-house", "自动阳极氧化线 automatic line", (2500, 800, 1200), "0.01"),
    )),
    "plating_line": Kind((150, 300), (
        Model("自建产线 in-house", "挂镀线 rack plating line", (1500, 600, 1000), "0.01"),
    )),
    "powder_coating_line": Kind((120, 250), (
        Model("金马 Gema", "OptiFlex 2 自动喷粉线", (2000, 1000, 1800), "0.05"),
    )),
    "polishing_machine": Kind((40, 80), (
        Model("自建工位 in-house", "自动抛光机 automatic polisher", (600, 400, 300), "0.01"),
    )),
    "heat_treatment_furnace": Kind((100, 250), (
        Model("易普森 Ipsen", "TITAN H2", (610, 610, 914), "0.05"),
        Model("爱协林 Aichelin", "密封箱式炉 sealed-quench furnace", (900, 600, 600), "0.05"),
    )),
    "forging_press": Kind((200, 600), (
        Model("荣成锻压 Rongcheng", "J31-800", (800, 800, 600), "0.5", (("press_force_t", 800),)),
        Model("二重 China Erzhong", "J53-1600 摩擦压力机", (1000, 900, 700), "0.5",
              (("press_force_t", 1600),)),
    )),
    "cold_header": Kind((100, 250), (
        Model("春日 Chun Zu", "CBF-134L", (14, 14, 150), "0.05"),
        Model("友信 Yeou Yih", "YFP-13B4S", (13, 13, 130), "0.05"),
    )),
    "extrusion_press": Kind((400, 900), (
        Model("宇部 UBE", "1800T 挤压机", (180, 180, 12000), "0.1", (("press_force_t", 1800),)),
        Model("太原重工 TZ", "2500T 挤压机", (250, 250, 12000), "0.1", (("press_force_t", 2500),)),
    )),
    "smt_line": Kind((300, 600), (
        Model("富士 FUJI", "NXT III", (510, 460, 25), "0.05"),
        Model("松下 Panasonic", "NPM-D3A", (510, 590, 25), "0.05"),
        Model("雅马哈 Yamaha", "YSM20R", (810, 490, 30), "0.05"),
    )),
    "wire_harness_equipment": Kind((50, 120), (
        Model("Komax", "Alpha 355", (10000, 50, 50), "1.0"),
    )),
    "assembly_line": Kind((60, 150), (
        Model("自建产线 in-house", "U型装配线 U-cell line", (2000, 1000, 1200), "0.05"),
    )),
    "cmm": Kind((150, 300), (
        Model("海克斯康 Hexagon", "Global S 7.10.7", (700, 1000, 660), "0.002"),
        Model("蔡司 ZEISS", "CONTURA 7/10/6", (700, 1000, 600), "0.002"),
        Model("三丰 Mitutoyo", "CRYSTA-Apex V 776", (705, 705, 605), "0.002"),
    )),
}

# Per demo specialty: the machines such a shop runs (kind, weight), the processes it sells and the
# materials it works.
SPECIALTY_EQUIPMENT: dict[str, tuple[tuple[str, int], ...]] = {
    "cnc machining": (("cnc_mill_3axis", 6), ("cnc_mill_4axis", 2), ("cnc_mill_5axis", 2),
                      ("cnc_lathe", 3), ("swiss_lathe", 1), ("mill_turn_center", 1), ("cmm", 1)),
    "injection molding": (("injection_molding_machine", 8), ("assembly_line", 1)),
    "die casting": (("die_casting_machine", 5), ("cnc_mill_3axis", 2)),
    "sheet metal": (("fiber_laser_cutter", 3), ("press_brake", 3), ("turret_punch", 1),
                    ("welding_robot", 2), ("powder_coating_line", 1)),
    "electronics assembly": (("smt_line", 4), ("wire_harness_equipment", 1), ("assembly_line", 2)),
    "moulds": (("wire_edm", 2), ("sinker_edm", 2), ("cnc_mill_5axis", 1), ("cnc_mill_3axis", 2),
               ("surface_grinder", 1)),
    "valves": (("cnc_lathe", 3), ("cnc_mill_4axis", 2), ("investment_casting_line", 1)),
    "auto parts": (("cnc_lathe", 2), ("cnc_mill_4axis", 2), ("stamping_press", 2),
                   ("welding_robot", 1), ("die_casting_machine", 1)),
    "3d printing": (("sls_printer", 2), ("mjf_printer", 1), ("sla_printer", 2), ("slm_printer", 1),
                    ("fdm_printer", 1), ("vacuum_casting_machine", 1)),
    "stamping": (("stamping_press", 5), ("hydraulic_press", 1), ("plating_line", 1)),
    "hardware": (("stamping_press", 2), ("cnc_lathe", 2), ("polishing_machine", 1),
                 ("die_casting_machine", 1), ("plating_line", 1)),
    "forging": (("forging_press", 3), ("heat_treatment_furnace", 1), ("cnc_lathe", 2)),
    "pumps": (("cnc_lathe", 2), ("cnc_mill_4axis", 2), ("sand_casting_line", 1),
              ("assembly_line", 1)),
    "electrical components": (("stamping_press", 2), ("injection_molding_machine", 2),
                              ("assembly_line", 1), ("plating_line", 1)),
    "aluminium extrusion": (("extrusion_press", 2), ("cnc_mill_3axis", 2), ("anodizing_line", 1)),
    "fasteners": (("cold_header", 4), ("cnc_lathe", 1), ("heat_treatment_furnace", 1),
                  ("plating_line", 1)),
    "castings": (("sand_casting_line", 2), ("investment_casting_line", 2), ("cnc_mill_3axis", 1),
                 ("heat_treatment_furnace", 1)),
    "aerospace parts": (("cnc_mill_5axis", 3), ("mill_turn_center", 1), ("cylindrical_grinder", 1),
                        ("cmm", 1), ("cnc_mill_4axis", 1)),
}

SPECIALTY_PROCESSES: dict[str, tuple[str, ...]] = {
    "cnc machining": ("cnc_milling_3axis", "cnc_milling_4axis", "cnc_milling_5axis", "cnc_turning",
                      "swiss_turning", "mill_turn", "cmm_inspection"),
    "injection molding": ("injection_molding", "mechanical_assembly"),
    "die casting": ("die_casting", "cnc_milling_3axis"),
    "sheet metal": ("laser_cutting", "press_brake_bending", "punching", "sheet_metal_welding",
                    "powder_coating"),
    "electronics assembly": ("smt_assembly", "wire_harness", "box_build", "mechanical_assembly"),
    "moulds": ("mold_making", "wire_edm", "sinker_edm", "grinding", "cnc_milling_3axis"),
    "valves": ("cnc_turning", "cnc_milling_4axis", "cnc_milling_3axis", "investment_casting"),
    "auto parts": ("cnc_turning", "cnc_milling_4axis", "cnc_milling_3axis", "stamping",
                   "sheet_metal_welding", "die_casting"),
    "3d printing": ("sls", "mjf", "sla", "slm", "fdm", "vacuum_casting"),
    "stamping": ("stamping", "electroplating"),
    "hardware": ("stamping", "cnc_turning", "polishing", "die_casting", "electroplating"),
    "forging": ("hot_forging", "heat_treatment", "cnc_turning"),
    "pumps": ("cnc_turning", "cnc_milling_4axis", "cnc_milling_3axis", "sand_casting",
              "mechanical_assembly"),
    "electrical components": ("stamping", "injection_molding", "mechanical_assembly", "box_build",
                              "electroplating"),
    "aluminium extrusion": ("aluminium_extrusion", "cnc_milling_3axis", "anodizing"),
    "fasteners": ("cold_heading", "cnc_turning", "heat_treatment", "electroplating"),
    "castings": ("sand_casting", "investment_casting", "cnc_milling_3axis", "heat_treatment"),
    "aerospace parts": ("cnc_milling_5axis", "cnc_milling_4axis", "cnc_milling_3axis", "mill_turn",
                        "cnc_turning", "grinding", "cmm_inspection"),
}

SPECIALTY_MATERIALS: dict[str, tuple[str, ...]] = {
    "cnc machining": ("al_6061", "al_7075", "ss_304", "ss_316", "steel_45", "ti_tc4", "brass_h59",
                      "pom", "peek"),
    "injection molding": ("abs", "pc", "pa66", "pa66_gf30", "pp", "pom", "tpu"),
    "die casting": ("al_adc12", "zinc_zamak3", "mg_az91d"),
    "sheet metal": ("steel_spcc", "steel_q235", "ss_304", "al_5052", "copper_t2"),
    "electronics assembly": (),
    "moulds": ("tool_steel_p20", "tool_steel_skd11", "steel_45", "al_7075"),
    "valves": ("ss_304", "ss_316", "brass_h59", "iron_qt450", "steel_45"),
    "auto parts": ("steel_45", "steel_40cr", "al_6061", "al_adc12", "steel_spcc"),
    "3d printing": ("nylon_pa12", "tpu", "resin_photopolymer", "ss_316", "ti_tc4", "al_alsi10mg",
                    "pla", "abs", "pc"),
    "stamping": ("steel_spcc", "ss_304", "copper_t2", "brass_h59", "al_5052"),
    "hardware": ("ss_304", "zinc_zamak3", "brass_h59", "steel_q235", "al_6061"),
    "forging": ("steel_45", "steel_40cr", "al_6061", "ss_304", "brass_h59"),
    "pumps": ("iron_ht250", "iron_qt450", "ss_304", "ss_316"),
    "electrical components": ("copper_t2", "brass_h59", "pa66_gf30", "pc", "steel_spcc"),
    "aluminium extrusion": ("al_6063", "al_6061"),
    "fasteners": ("steel_40cr", "steel_q235", "ss_304", "ss_316", "steel_45"),
    "castings": ("iron_ht250", "iron_qt450", "ss_304", "steel_45", "al_alsi10mg"),
    "aerospace parts": ("ti_tc4", "al_7075", "inconel_718", "ss_316"),
}


@dataclass(frozen=True)
class Calendar:
    hours: tuple[int, ...]  # Monday first
    zh: str
    en: str


TWO_SHIFTS = Calendar((16, 16, 16, 16, 16, 16, 0), "两班，周一至周六", "2 shifts Mon–Sat")
LONG_DAY = Calendar((10, 10, 10, 10, 10, 10, 0), "单班加班，周一至周六", "1 long shift Mon–Sat")
ONE_SHIFT = Calendar((8, 8, 8, 8, 8, 0, 0), "单班，周一至周五", "1 shift Mon–Fri")
THREE_SHIFTS = Calendar((22, 22, 22, 22, 22, 22, 0), "三班，周一至周六", "3 shifts Mon–Sat")
ROUND_THE_CLOCK = Calendar((22,) * 7, "三班，全周", "3 shifts, 7 days")
UNATTENDED = Calendar((24,) * 7, "24小时无人值守", "24 h unattended")
NIGHT_SHIFT = Calendar((8, 8, 8, 8, 8, 0, 0), "夜班，周一至周五", "night shift Mon–Fri")
WEEKENDS = Calendar((0, 0, 0, 0, 0, 16, 16), "周末两班", "weekends, 2 shifts")

SPECIALTY_CALENDARS: dict[str, tuple[Calendar, ...]] = {
    "cnc machining": (TWO_SHIFTS, TWO_SHIFTS, LONG_DAY),
    "injection molding": (ROUND_THE_CLOCK, THREE_SHIFTS),
    "die casting": (THREE_SHIFTS, TWO_SHIFTS),
    "sheet metal": (TWO_SHIFTS, LONG_DAY),
    "electronics assembly": (TWO_SHIFTS, LONG_DAY),
    "moulds": (LONG_DAY, TWO_SHIFTS),
    "valves": (TWO_SHIFTS, LONG_DAY),
    "auto parts": (TWO_SHIFTS, THREE_SHIFTS),
    "3d printing": (UNATTENDED,),
    "stamping": (THREE_SHIFTS, TWO_SHIFTS),
    "hardware": (TWO_SHIFTS, LONG_DAY),
    "forging": (TWO_SHIFTS,),
    "pumps": (TWO_SHIFTS, LONG_DAY, ONE_SHIFT),
    "electrical components": (TWO_SHIFTS, LONG_DAY),
    "aluminium extrusion": (ROUND_THE_CLOCK,),
    "fasteners": (ROUND_THE_CLOCK, THREE_SHIFTS),
    "castings": (LONG_DAY, ONE_SHIFT),
    "aerospace parts": (TWO_SHIFTS,),
}

# Public holidays on which the factories stand still (extend when the years come round).
HOLIDAYS: tuple[tuple[date, date, str], ...] = (
    (date(2026, 1, 1), date(2026, 1, 3), "元旦 New Year"),
    (date(2026, 2, 15), date(2026, 2, 23), "春节 Spring Festival"),
    (date(2026, 4, 4), date(2026, 4, 6), "清明节 Qingming"),
    (date(2026, 5, 1), date(2026, 5, 5), "劳动节 Labour Day"),
    (date(2026, 6, 19), date(2026, 6, 21), "端午节 Dragon Boat Festival"),
    (date(2026, 9, 25), date(2026, 9, 27), "中秋节 Mid-Autumn Festival"),
    (date(2026, 10, 1), date(2026, 10, 7), "国庆节 National Day"),
    (date(2027, 1, 1), date(2027, 1, 3), "元旦 New Year"),
    (date(2027, 2, 5), date(2027, 2, 11), "春节 Spring Festival"),
    (date(2027, 4, 3), date(2027, 4, 5), "清明节 Qingming"),
    (date(2027, 5, 1), date(2027, 5, 5), "劳动节 Labour Day"),
    (date(2027, 6, 9), date(2027, 6, 11), "端午节 Dragon Boat Festival"),
    (date(2027, 9, 15), date(2027, 9, 17), "中秋节 Mid-Autumn Festival"),
    (date(2027, 10, 1), date(2027, 10, 7), "国庆节 National Day"),
    (date(2028, 1, 1), date(2028, 1, 3), "元旦 New Year"),
    (date(2028, 1, 25), date(2028, 1, 31), "春节 Spring Festival"),
    (date(2028, 4, 2), date(2028, 4, 4), "清明节 Qingming"),
    (date(2028, 5, 1), date(2028, 5, 5), "劳动节 Labour Day"),
    (date(2028, 5, 28), date(2028, 5, 30), "端午节 Dragon Boat Festival"),
    (date(2028, 10, 1), date(2028, 10, 7), "国庆节 National Day"),
)


# --- What buyers order ------------------------------------------------------------------------


@dataclass(frozen=True)
class Part:
    zh: str
    en: str
    size: tuple[int, int, int]  # mm
    quantity: tuple[int, int]
    minutes: tuple[float, float]  # machine-minutes per piece
    materials: tuple[str, ...]


PARTS: dict[str, tuple[Part, ...]] = {
    "cnc_milling_3axis": (
        Part("安装支架", "mounting bracket", (120, 80, 30), (50, 800), (6, 20),
             ("al_6061", "al_7075", "ss_304", "steel_45")),
        Part("夹具底板", "fixture base plate", (400, 300, 40), (10, 60), (40, 120),
             ("al_6061", "steel_45")),
        Part("散热器壳体", "heat-sink housing", (150, 100, 40), (100, 1000), (5, 15),
             ("al_6061", "al_6063")),
        Part("电机法兰", "motor flange", (90, 90, 25), (100, 1500), (4, 10),
             ("al_6061", "steel_45", "ss_304")),
    ),
    "cnc_milling_4axis": (
        Part("减速器壳体", "reducer housing", (160, 160, 120), (50, 400), (20, 45),
             ("al_6061", "iron_ht250", "al_adc12")),
        Part("阀体", "valve body", (80, 60, 60), (100, 1000), (8, 20), ("ss_304", "brass_h59")),
    ),
    "cnc_milling_5axis": (
        Part("真空腔体", "vacuum chamber", (400, 400, 250), (2, 20), (300, 900),
             ("al_6061", "ss_316")),
        Part("叶轮", "impeller", (120, 120, 60), (10, 100), (60, 180), ("al_7075", "ti_tc4")),
        Part("机器人臂架", "robot arm link", (350, 120, 80), (20, 200), (40, 90),
             ("al_7075", "al_6061")),
        Part("PEEK绝缘座", "PEEK insulator block", (80, 60, 40), (50, 300), (15, 35), ("peek",)),
    ),
    "cnc_turning": (
        Part("传动轴", "drive shaft", (30, 30, 220), (200, 3000), (3, 10),
             ("steel_45", "steel_40cr", "ss_304")),
        Part("法兰盘", "flange", (120, 120, 30), (100, 1000), (4, 12), ("steel_45", "ss_304")),
        Part("轴套", "bushing", (40, 40, 50), (500, 5000), (1.5, 4),
             ("brass_h59", "pom", "steel_45")),
    ),
    "swiss_turning": (
        Part("连接器插针", "connector pin", (3, 3, 18), (5000, 50000), (0.3, 0.8),
             ("brass_h59", "copper_t2")),
        Part("医用骨钉", "bone screw", (5, 5, 40), (1000, 10000), (1, 3), ("ti_tc4", "ss_316")),
    ),
    "mill_turn": (
        Part("液压接头", "hydraulic fitting", (40, 40, 60), (500, 5000), (2, 5),
             ("ss_304", "steel_45")),
    ),
    "wire_edm": (
        Part("冲压模镶件", "die insert", (80, 60, 30), (5, 50), (60, 240),
             ("tool_steel_skd11", "tool_steel_p20")),
    ),
    "mold_making": (
        Part("注塑模具（一出四）", "4-cavity injection mould", (450, 400, 350), (1, 1),
             (4800, 9000), ("tool_steel_p20", "tool_steel_skd11")),
        Part("压铸模具", "die-casting die", (600, 500, 400), (1, 1), (6000, 9000),
             ("tool_steel_skd11",)),
    ),
    "laser_cutting": (
        Part("机箱面板", "enclosure panel", (600, 400, 2), (100, 2000), (1, 4),
             ("steel_spcc", "ss_304", "al_5052")),
        Part("铜排", "copper busbar", (300, 40, 5), (200, 3000), (0.5, 2), ("copper_t2",)),
    ),
    "press_brake_bending": (
        Part("钣金机架", "sheet-metal frame", (800, 600, 3), (20, 300), (5, 15),
             ("steel_spcc", "steel_q235", "ss_304")),
        Part("防护罩", "machine guard", (900, 500, 2), (20, 200), (8, 20),
             ("ss_304", "steel_spcc")),
    ),
    "punching": (
        Part("配电箱门板", "distribution-box door", (700, 500, 2), (100, 1000), (2, 5),
             ("steel_spcc", "al_5052")),
    ),
    "sheet_metal_welding": (
        Part("焊接机架", "welded frame", (1200, 800, 900), (5, 50), (120, 300),
             ("steel_q235", "ss_304")),
        Part("储能柜柜体", "energy-storage cabinet body", (1000, 1200, 2200), (10, 60), (180, 360),
             ("steel_spcc", "steel_q235")),
    ),
    "stamping": (
        Part("电机支架冲压件", "motor bracket stamping", (60, 40, 20), (20000, 200000),
             (0.02, 0.05), ("steel_spcc", "ss_304")),
        Part("端子", "terminal", (20, 8, 3), (50000, 500000), (0.01, 0.02),
             ("copper_t2", "brass_h59")),
    ),
    "injection_molding": (
        Part("外壳上盖", "housing top cover", (180, 120, 45), (5000, 50000), (0.15, 0.4),
             ("abs", "pc", "pp")),
        Part("齿轮箱盖", "gearbox cover", (120, 90, 40), (3000, 30000), (0.2, 0.5),
             ("pa66_gf30", "pom")),
        Part("输液泵面壳", "infusion-pump front shell", (220, 140, 50), (2000, 10000), (0.4, 0.8),
             ("pc", "abs")),
    ),
    "die_casting": (
        Part("压铸散热器", "die-cast heat sink", (200, 150, 40), (1000, 8000), (0.5, 1.2),
             ("al_adc12",)),
        Part("门锁面板", "lock face plate", (300, 70, 15), (2000, 20000), (0.3, 0.6),
             ("zinc_zamak3",)),
        Part("齿轮箱壳体", "gearbox housing", (160, 120, 80), (1000, 6000), (0.6, 1.2),
             ("al_adc12", "mg_az91d")),
    ),
    "investment_casting": (
        Part("阀体铸件", "valve-body casting", (90, 70, 70), (200, 2000), (5, 12),
             ("ss_304", "ss_316")),
    ),
    "sand_casting": (
        Part("泵壳", "pump casing", (300, 300, 250), (50, 500), (20, 45),
             ("iron_ht250", "iron_qt450")),
    ),
    "hot_forging": (
        Part("齿轮毛坯", "gear blank", (120, 120, 40), (500, 5000), (1, 2),
             ("steel_40cr", "steel_45")),
    ),
    "cold_heading": (
        Part("M8六角法兰螺栓", "M8 hex flange bolt", (8, 8, 30), (100000, 800000), (0.005, 0.01),
             ("steel_40cr", "ss_304")),
    ),
    "aluminium_extrusion": (
        Part("6063铝型材", "aluminium profile", (60, 40, 6000), (500, 5000), (0.5, 1),
             ("al_6063",)),
    ),
    "smt_assembly": (
        Part("主控板PCBA", "main control board PCBA", (120, 80, 15), (1000, 10000), (0.3, 0.8),
             ("copper_t2",)),
    ),
    "wire_harness": (
        Part("电机线束", "motor wire harness", (500, 30, 30), (500, 5000), (2, 5), ("copper_t2",)),
    ),
    "box_build": (
        Part("控制箱整机组装", "control-box assembly", (400, 300, 200), (50, 500), (20, 45),
             ("abs", "steel_spcc")),
    ),
    "sls": (
        Part("尼龙结构件样件", "nylon structural prototype", (150, 100, 60), (10, 200), (10, 30),
             ("nylon_pa12",)),
    ),
    "mjf": (
        Part("无人机支架", "drone bracket", (120, 80, 40), (50, 500), (5, 15),
             ("nylon_pa12", "tpu")),
    ),
    "sla": (
        Part("外观手板", "appearance prototype", (180, 120, 60), (5, 50), (30, 90),
             ("resin_photopolymer",)),
    ),
    "slm": (
        Part("钛合金支架", "titanium bracket", (80, 60, 40), (5, 50), (60, 180),
             ("ti_tc4", "al_alsi10mg", "ss_316")),
    ),
    "fdm": (
        Part("工装治具", "assembly jig", (200, 150, 80), (2, 20), (120, 300), ("pla", "abs")),
    ),
    "vacuum_casting": (
        Part("复模样件", "vacuum-cast samples", (150, 100, 50), (20, 100), (10, 20), ("abs", "pc")),
    ),
}

# What a buyer's description says it sources → the processes of its orders.
BUYER_KEYWORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("数控加工件", ("cnc_milling_3axis", "cnc_milling_4axis", "cnc_turning")),
    ("机加工件", ("cnc_milling_3axis", "cnc_turning", "cnc_milling_5axis")),
    ("CNC", ("cnc_milling_3axis", "cnc_milling_4axis")),
    ("铝合金", ("cnc_milling_3axis", "cnc_milling_5axis")),
    ("减速器", ("cnc_milling_4axis", "cnc_turning", "mill_turn")),
    ("齿轮", ("cnc_turning", "hot_forging")),
    ("车削件", ("cnc_turning", "swiss_turning")),
    ("精密零件", ("swiss_turning", "cnc_milling_5axis")),
    ("钣金", ("laser_cutting", "press_brake_bending", "punching")),
    ("焊接件", ("sheet_metal_welding",)),
    ("注塑", ("injection_molding",)),
    ("压铸", ("die_casting",)),
    ("冲压", ("stamping",)),
    ("PCBA", ("smt_assembly",)),
    ("线束", ("wire_harness",)),
    ("3D打印", ("sls", "mjf", "sla", "slm")),
    ("紧固件", ("cold_heading",)),
    ("铜排", ("laser_cutting", "stamping")),
    ("PEEK", ("cnc_milling_5axis",)),
    ("碳纤维", ("cnc_milling_5axis",)),
)

FINISHES: dict[str, tuple[tuple[str, str], ...]] = {
    "machining": (("黑色阳极氧化", "black anodised"),
                  ("去毛刺、锐边倒钝", "deburred, edges broken"),
                  ("喷砂后本色阳极", "bead-blasted, clear anodised"), ("按图纸要求", "as drawn")),
    "sheet_metal": (("喷粉 RAL 7035", "powder-coated RAL 7035"), ("镀锌", "zinc-plated"),
                    ("拉丝", "brushed")),
    "molding_casting": (("皮纹 MT-11010", "texture MT-11010"),
                        ("去浇口、去飞边", "degated, deflashed"), ("喷砂", "bead-blasted")),
}
# fmt: on

QUOTE_NOTES = (
    "含出厂检验报告 · Inspection report included",
    "首件需客户确认后量产 · Series production after first-article approval",
    "报价含材料，运费另计 · Material included, freight extra",
    "可提供CMM全尺寸报告 · Full CMM report on request",
    "",
    "",
)
REVISION_NOTES = (
    "DFM评审后优化工艺，价格下调 · Price lowered after DFM review",
    "合并装夹，缩短交期 · Fewer set-ups, shorter lead time",
    "材料供应商报价更新 · Updated material price",
)
MILESTONE_NOTES = (
    ("备料完成，开始粗加工", "Material in, roughing started"),
    ("首件检验通过", "First article approved"),
    ("精加工进行中", "Finishing in progress"),
    ("等待表面处理", "Waiting for surface treatment"),
    ("已完成约八成，按计划推进", "About 80 % done, on plan"),
)
REWORK_NOTES = (
    "孔位超差0.03 mm，返工 · Hole position 0.03 mm out, reworking",
    "表面划伤，重新抛光 · Surface scratches, re-polishing",
    "螺纹通止规不过，返修 · Thread gauge failed, reworking",
)
DISPUTE_NOTES = (
    "抽检5件中2件平面度超差 · 2 of 5 samples out of flatness tolerance",
    "阳极氧化色差明显 · Visible colour difference in anodising",
    "少发30件 · 30 pieces short",
    "包装破损导致磕碰伤 · Dents from damaged packaging",
)
RESOLUTION_NOTES = (
    "双方协商：供应商返工并承担运费 · Agreed: supplier reworks and pays freight",
    "补发缺件，货款按实收数量结算 · Missing pieces resent; paid on quantity received",
    "折价5%接收 · Accepted at a 5 % discount",
)
CANCEL_NOTES = (
    "项目推迟 · Project postponed",
    "设计变更，重新询价 · Design changed, will re-quote",
    "客户取消订单 · End customer cancelled",
)
REVIEW_COMMENTS = (
    "质量稳定，沟通及时。 · Consistent quality, quick replies.",
    "交期准时，包装很好。 · On time, well packed.",
    "尺寸全部合格，会继续合作。 · All dimensions in tolerance; will order again.",
    "有小问题但处理积极。 · Minor issues, handled well.",
    "",
)
LATE_REVIEW_COMMENTS = (
    "质量不错，但比约定晚了几天。 · Good parts, a few days late.",
    "交期延误，需改进计划。 · Late delivery; planning needs work.",
)


# --- The plan -----------------------------------------------------------------------------------


@dataclass
class MachinePlan:
    number: int
    kind: str
    model: Model
    processes: list[str]
    materials: list[str]
    rate: int
    year: int
    maintenance: bool = False
    id: int | None = None


@dataclass
class ListingPlan:
    title: str
    calendar: Calendar
    start: int  # days from today
    end: int
    processes: list[str]
    materials: list[str]
    price: int  # CNY per machine-hour
    lead_time_days: int
    machine: MachinePlan | None = None
    exceptions: list[dict[str, Any]] = field(default_factory=list)
    created: float = 0.0  # days from now
    paused: bool = False
    id: int | None = None


@dataclass
class SupplierPlan:
    demo: DemoCompany
    machines: list[MachinePlan]
    listings: list[ListingPlan]

    @property
    def processes(self) -> set[str]:
        return {process for listing in self.listings for process in listing.processes}


@dataclass
class QuotePlan:
    supplier: str
    quantity: int
    hours: Decimal
    when: float
    price_factor: float
    lead_time_days: int
    valid_days: int
    note: str
    revise_when: float | None = None
    withdraw_when: float | None = None


@dataclass
class Step:
    when: float
    kind: str
    package: int  # index into the story's awards
    payload: dict[str, Any] = field(default_factory=dict)


@dataclass
class Story:
    """One order's life, planned in days relative to now (negative = past)."""

    number: int
    target: str
    buyer: str
    fields: dict[str, Any]
    due_offset: int
    created: float
    publish_when: float | None
    quotes: list[QuotePlan] = field(default_factory=list)
    invite_when: float | None = None
    invitees: list[str] = field(default_factory=list)
    award_when: float | None = None
    awards: list[tuple[str, int]] = field(default_factory=list)
    steps: list[Step] = field(default_factory=list)
    cancel_when: float | None = None
    late_days: int = 0
    drawing: bool = False
    # Filled in while the story is replayed.
    order_id: int | None = None
    package_ids: dict[int, int] = field(default_factory=dict)
    stuck: str = ""

    @property
    def historic(self) -> bool:
        return self.target in HISTORIC_TARGETS


def _nice(number: int) -> int:
    """Round a quantity the way buyers write it: two significant digits."""
    if number < 100:
        return max(1, number)
    step = 10 ** (len(str(number)) - 2)
    return max(step, round(number / step) * step)


def _money(value: Decimal | float) -> Decimal:
    amount = Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)
    return max(amount, CENT)


def _hours(value: float) -> Decimal:
    return max(Decimal("1"), (Decimal(str(value)) * 2).quantize(Decimal(1)) / 2)


def _minutes_per_piece(hours: float, quantity: int) -> Decimal:
    """Machine-minutes per piece of work taking `hours` (2 of them setup) for `quantity` pieces."""
    minutes = Decimal(str(max(0.0, hours - 2) * 60 / quantity)).quantize(CENT, ROUND_HALF_UP)
    return max(minutes, CENT)


def _description(quantity: int, tolerance: Decimal, finish: tuple[str, str]) -> str:
    return (
        f"数量{quantity}件，公差±{tolerance} mm，{finish[0]}；每批随货提供出厂检验报告。 "
        f"{quantity} pcs, tolerance ±{tolerance} mm, {finish[1]}; inspection report "
        "with every shipment."
    )


def _calendar_hours(listing: ListingPlan, today: date, last: date) -> float:
    """Hours a planned listing's calendar offers from `today` to `last` inclusive."""
    start = max(today, today + timedelta(days=listing.start))
    end = min(last, today + timedelta(days=listing.end))
    exceptions = {row["day"]: float(row["hours"]) for row in listing.exceptions}
    total, day = 0.0, start
    while day <= end:
        total += exceptions.get(day, listing.calendar.hours[day.weekday()])
        day += timedelta(days=1)
    return total


def _principal(user_id: int, company_id: int | None, operator: bool = False) -> Principal:
    return Principal(
        user_id=user_id,
        company_id=company_id,
        company_role=None if operator else "owner",
        is_operator=operator,
        scope=Scope.WRITE,
    )


def owner_email(key: str) -> str:
    """The sign-in of a demo company's owner."""
    return FIXED_OWNER_EMAILS.get(key, f"owner@{key}.{DEMO_EMAIL_DOMAIN}")


class _Planner:
    """Builds the whole plan from one random stream; touches no database."""

    def __init__(self, companies: list[DemoCompany], today: date) -> None:
        self.rng = random.Random(SEED)
        self.today = today
        self.companies = {company.key: company for company in companies}
        self.suppliers: dict[str, SupplierPlan] = {}
        self.stories: list[Story] = []
        # A stream of its own, so that choosing the large orders leaves the rest of the plan as is.
        self.large_rng = random.Random(SEED + 2)
        self.large_orders = 0

    # Suppliers

    def plan_suppliers(self) -> None:
        for company in self.companies.values():
            if "supplier" in company.roles:
                self.suppliers[company.key] = self.supplier(company)

    def supplier(self, company: DemoCompany) -> SupplierPlan:
        rng = self.rng
        specialties = company.specialties or ("cnc machining",)
        if company.key == SUPPLIER_001:
            machines = self.first_supplier_machines()
        else:
            count = min(8, max(2, 2 + company.employees // 80 + rng.randint(0, 2)))
            kinds: list[tuple[str, str]] = []
            for index in range(count):
                # Each specialty gets a machine; then about three in four follow the first one.
                if index < len(specialties):
                    specialty = specialties[index]
                elif len(specialties) > 1 and rng.random() < 0.25:
                    specialty = specialties[1]
                else:
                    specialty = specialties[0]
                equipment = SPECIALTY_EQUIPMENT[specialty]
                kind = rng.choices([k for k, _ in equipment], [w for _, w in equipment])[0]
                kinds.append((specialty, kind))
            machines = []
            chosen_models: dict[str, Model] = {}
            for number, (specialty, kind) in enumerate(kinds, start=1):
                # Shops buy the same model again more often than not.
                if kind in chosen_models and rng.random() < 0.7:
                    model = chosen_models[kind]
                else:
                    model = rng.choice(MACHINES[kind].models)
                    chosen_models[kind] = model
                machines.append(self.machine(number, specialty, kind, model))
        listings = self.listings(company, specialties, machines)
        listed = {listing.machine.number for listing in listings if listing.machine}
        for machine in machines:
            if machine.number not in listed and machine.kind != "cmm" and rng.random() < 0.05:
                machine.maintenance = True
        return SupplierPlan(company, machines, listings)

    def machine(self, number: int, specialty: str, kind: str, model: Model) -> MachinePlan:
        offered = SPECIALTY_PROCESSES[specialty]
        kind_processes = TAXONOMY.machine_kinds[kind].processes
        processes = [p for p in kind_processes if p in offered] or [kind_processes[0]]
        materials = [
            material
            for material in SPECIALTY_MATERIALS[specialty]
            if any(TAXONOMY.material_suits(material, process) for process in processes)
        ]
        low, high = MACHINES[kind].rate
        rate = int(round(self.rng.randint(low, high) / 5) * 5)
        year = self.rng.randint(2012, min(2025, self.today.year))
        return MachinePlan(number, kind, model, processes, materials, rate, year)

    def first_supplier_machines(self) -> list[MachinePlan]:
        """东莞市精创精密机械: a well-equipped CNC shop, the same whatever the seed."""
        catalogue = {model.model: model for kind in MACHINES.values() for model in kind.models}
        fixed = (
            ("cnc_mill_5axis", "DMU 50 3rd Generation"),
            ("cnc_mill_3axis", "SPEEDIO S700X2"),
            ("cnc_mill_3axis", "SPEEDIO S700X2"),
            ("cnc_mill_4axis", "VCN-530C + 4th axis"),
            ("cnc_mill_3axis", "JDLVG600"),
            ("cnc_lathe", "QUICK TURN 250MY"),
            ("cmm", "Global S 7.10.7"),
        )
        return [
            self.machine(number, "cnc machining", kind, catalogue[model])
            for number, (kind, model) in enumerate(fixed, start=1)
        ]

    def listings(
        self, company: DemoCompany, specialties: tuple[str, ...], machines: list[MachinePlan]
    ) -> list[ListingPlan]:
        rng = self.rng
        listings: list[ListingPlan] = []
        main = specialties[0]
        group = [m for m in machines if any(p in SPECIALTY_PROCESSES[main] for p in m.processes)]
        if company.key == SUPPLIER_001:
            group = [m for m in machines if m.kind in ("cnc_mill_3axis", "cnc_mill_4axis")]
        processes = sorted(
            {p for m in group for p in m.processes if p != "cmm_inspection"}
            or {p for m in group for p in m.processes}
        )
        materials = sorted({material for m in group for material in m.materials})
        calendar = rng.choice(SPECIALTY_CALENDARS[main])
        listings.append(
            self.listing(
                f"{SPECIALTY_BY_KEY[main].process[0]}产能（{calendar.zh}）· "
                f"{SPECIALTY_BY_KEY[main].process[1]} capacity ({calendar.en})",
                calendar,
                start=-70 + rng.randint(0, 3),
                end=84 + rng.randint(0, 14),
                processes=processes,
                materials=materials,
                price=sum(m.rate for m in group) / len(group),
                machine=None,
            )
        )
        extra = 2 if company.key == SUPPLIER_001 else (rng.random() < 0.55) + (rng.random() < 0.2)
        candidates = sorted(
            (m for m in machines if m.kind != "cmm"), key=lambda m: (-m.rate, m.number)
        )
        if company.key == SUPPLIER_001:
            candidates = [machines[0], machines[5]]  # the 5-axis DMU 50 and the lathe
        for index in range(extra):
            if len(specialties) > 1 and index == 0 and company.key != SUPPLIER_001:
                second = specialties[1]
                members = [
                    m
                    for m in machines
                    if any(p in SPECIALTY_PROCESSES[second] for p in m.processes)
                ]
                calendar = rng.choice(SPECIALTY_CALENDARS[second])
                listings.append(
                    self.listing(
                        f"{SPECIALTY_BY_KEY[second].process[0]}产能（{calendar.zh}）· "
                        f"{SPECIALTY_BY_KEY[second].process[1]} capacity ({calendar.en})",
                        calendar,
                        start=-28 + rng.randint(0, 3),
                        end=56 + rng.randint(0, 28),
                        processes=sorted({p for m in members for p in m.processes}),
                        materials=sorted({x for m in members for x in m.materials}),
                        price=sum(m.rate for m in members) / len(members),
                        machine=None,
                    )
                )
                continue
            if index >= len(candidates):
                break
            machine = candidates[index]
            calendar = rng.choice((NIGHT_SHIFT, WEEKENDS, TWO_SHIFTS))
            start = -28 + rng.randint(0, 3)
            if company.key == SUPPLIER_001:
                calendar, start = (TWO_SHIFTS, ONE_SHIFT)[index], -70
            listings.append(
                self.listing(
                    f"{machine.model.model} 空闲机时（{calendar.zh}）· "
                    f"{machine.model.model} free hours ({calendar.en})",
                    calendar,
                    start=start,
                    end=56 + rng.randint(0, 28),
                    processes=list(machine.processes),
                    materials=list(machine.materials),
                    price=machine.rate,
                    machine=machine,
                )
            )
        if company.key != SUPPLIER_001 and len(listings) > 1 and rng.random() < 0.08:
            listings[-1].paused = True
        return listings

    def listing(
        self,
        title: str,
        calendar: Calendar,
        *,
        start: int,
        end: int,
        processes: list[str],
        materials: list[str],
        price: float,
        machine: MachinePlan | None,
    ) -> ListingPlan:
        rng = self.rng
        first, last = self.today + timedelta(days=start), self.today + timedelta(days=end)
        exceptions: dict[date, dict[str, Any]] = {}
        for holiday_start, holiday_end, name in HOLIDAYS:
            day = holiday_start
            while day <= holiday_end:
                if first <= day <= last:
                    exceptions[day] = {"day": day, "hours": Decimal(0), "note": name}
                day += timedelta(days=1)
        maintenance = self.today + timedelta(days=rng.randint(8, 40))
        if first <= maintenance <= last and calendar.hours[maintenance.weekday()]:
            exceptions[maintenance] = {
                "day": maintenance,
                "hours": Decimal(0),
                "note": "设备保养 · Preventive maintenance",
            }
        if calendar.hours[6] == 0 and rng.random() < 0.3:
            sunday = self.today + timedelta(days=rng.randint(3, 30))
            sunday += timedelta(days=(6 - sunday.weekday()) % 7)
            if first <= sunday <= last and sunday not in exceptions:
                exceptions[sunday] = {
                    "day": sunday,
                    "hours": Decimal(8),
                    "note": "周日加班 · Sunday overtime",
                }
        return ListingPlan(
            title=title[:200],
            calendar=calendar,
            start=start,
            end=end,
            processes=processes,
            materials=materials,
            price=int(round(price * rng.uniform(0.85, 1.0) / 5) * 5),
            lead_time_days=rng.randint(3, 10),
            machine=machine,
            exceptions=[exceptions[day] for day in sorted(exceptions)],
            created=start - rng.uniform(2, 5),
        )

    # Orders

    def buyer_processes(self, company: DemoCompany, offered: Counter[str]) -> list[str]:
        processes: list[str] = []
        for keyword, codes in BUYER_KEYWORDS:
            if keyword in company.description:
                processes += [code for code in codes if code not in processes]
        usable = [code for code in processes if offered[code] >= 4 and code in PARTS]
        return usable or ["cnc_milling_3axis", "laser_cutting"]

    def plan_orders(self) -> None:
        offered: Counter[str] = Counter()
        for supplier in self.suppliers.values():
            for process in supplier.processes:
                offered[process] += 1
        # Who offers a process, and since when (the day its first such listing was created).
        self.offers = {
            process: [
                (key, min(x.created for x in plan.listings if process in x.processes))
                for key, plan in self.suppliers.items()
                if process in plan.processes
            ]
            for process in sorted(offered)
        }
        # A quarter of the suppliers are busy on the platform; the rest quote now and then.
        self.activity = {key: 6 if self.rng.random() < 0.25 else 1 for key in self.suppliers}
        buyers = [c for c in self.companies.values() if c.key.startswith("buyer-")]
        self.buyer_preferences = {c.key: self.buyer_processes(c, offered) for c in buyers}
        remaining = Counter(ORDER_MIX)
        for spec in SHOWCASE:
            self.add_story(remaining, **spec)
        others = [c.key for c in buyers if c.key != BUYER_001]
        targets = [target for target, count in remaining.items() for _ in range(count)]
        self.rng.shuffle(targets)
        for target in targets:
            self.add_story(remaining, target=target, buyer=self.rng.choice(others))

    def add_story(
        self,
        remaining: Counter[str],
        *,
        target: str,
        buyer: str,
        process: str | None = None,
        split: int = 0,
        supplier_001: str = "",
        quotes: int = 0,
        ends: tuple[str, ...] = (),
        late: bool = False,
        revised: bool = False,
        withdrawn: bool = False,
        hours_cap: float = 0,
    ) -> None:
        rng = self.rng
        remaining[target] -= 1
        company = self.companies[buyer]
        if process is None:
            process = rng.choice(self.buyer_preferences[buyer])
        part = rng.choice(PARTS[process])
        material = rng.choice(part.materials)
        quantity = _nice(rng.randint(*part.quantity))
        minutes = rng.uniform(*part.minutes)
        hours = 2 + quantity * minutes / 60
        hours = min(hours, hours_cap or (40 if supplier_001 == "winner" else 90))
        awarded = target not in ("draft", "published", "quoted", "cancelled_open")
        if not ends and split == 0 and awarded and target != "resolved" and rng.random() < 0.22:
            split = rng.choice((2, 2, 3, 4)) if quantity >= 40 else 0
        splittable = split > 0 or rng.random() < 0.3
        min_lot = 1
        if splittable and quantity >= 10:
            min_lot = max(1, _nice(quantity // (4 * max(split, 2))))
        currency = CURRENCY_OF_COUNTRY.get(company.country, "CNY")
        typical = Decimal(str(TAXONOMY.processes[process].tolerance_mm))
        tolerance = min(Decimal(10), typical * rng.choice((1, 2, 5, 10)))
        family = TAXONOMY.processes[process].family
        finish = rng.choice(FINISHES.get(family, (("按图纸要求", "as drawn"),)))
        material_label = TAXONOMY.materials[material].label
        rate = sum(sum(MACHINES[k].rate) / 2 for k in self.kinds_for(process)) / max(
            1, len(self.kinds_for(process))
        )
        cny_per_piece = hours * rate * 1.4 / quantity
        target_price = None
        if rng.random() < 0.75:
            target_price = _money(
                cny_per_piece * rng.uniform(0.75, 1.0) / float(CNY_PER_UNIT[currency])
            )
        scale = rng.uniform(0.8, 1.2)
        size = tuple(max(1, min(50_000, int(axis * scale))) for axis in part.size)
        foreign = company.country != "CN"
        fields = {
            "title": (
                f"{part.zh}（{material_label.zh}）· {part.en.capitalize()}, {material_label.en}"
            ),
            "description": _description(quantity, tolerance, finish),
            "process": process,
            "material": material,
            "quantity": quantity,
            "tolerance_mm": tolerance,
            "part_x_mm": size[0],
            "part_y_mm": size[1],
            "part_z_mm": size[2],
            "required_certifications": ["ISO 9001"] if rng.random() < 0.2 else [],
            "target_unit_price": target_price,
            "currency": currency,
            "delivery_province": "上海市" if foreign else company.province,
            "delivery_city": "上海市" if foreign else company.city,
            "splittable": splittable,
            "min_lot": min_lot,
            # The machine-minutes behind the hours the quotes carry, so that matching agrees.
            "minutes_per_piece": _minutes_per_piece(hours, quantity),
        }
        story = Story(
            number=len(self.stories) + 1,
            target=target,
            buyer=buyer,
            fields=fields,
            due_offset=0,
            created=0.0,
            publish_when=None,
            drawing=buyer == BUYER_001 or rng.random() < 0.08,
        )
        self.timeline(story, split, supplier_001, quotes, ends, late, revised, withdrawn, hours)
        if target == "published" and (
            (buyer == BUYER_001 and process == LARGE_SHOWCASE_PROCESS)
            or self.large_rng.random() < LARGE_ORDER_SHARE
        ):
            self.enlarge(story, part, minutes, finish)
        self.stories.append(story)

    def enlarge(self, story: Story, part: Part, minutes: float, finish: tuple[str, str]) -> None:
        """Make an open order too big for any one supplier before its due date, to be split.

        The order needs about LARGE_ORDER_FACTOR times the hours of the roomiest feasible
        supplier's calendar up to the due date. It stays as it is when the five roomiest
        together would need more than half their hours for it (their bookings take some), or
        when that would be far more pieces than anyone orders of such a part. It asks for no
        certificate, which the estimate of the suppliers' hours leaves out.
        """
        fields = story.fields
        due = self.today + timedelta(days=story.due_offset)
        rooms = sorted(self.calendar_hours_by_supplier(story, due).values(), reverse=True)
        if not rooms:
            return
        hours = LARGE_ORDER_FACTOR * rooms[0]
        if hours > 0.5 * sum(rooms[:MAX_PROPOSED_SUPPLIERS]):
            return
        quantity = _nice(int(hours * 60 / minutes))
        if quantity > LARGE_ORDER_MAX_QUANTITY * part.quantity[1]:
            return
        hours = 2 + quantity * minutes / 60
        fields["quantity"] = quantity
        fields["splittable"] = True
        fields["min_lot"] = max(1, _nice(quantity // 8))
        fields["required_certifications"] = []
        fields["description"] = _description(quantity, fields["tolerance_mm"], finish)
        fields["minutes_per_piece"] = _minutes_per_piece(hours, quantity)
        self.large_orders += 1

    def calendar_hours_by_supplier(self, story: Story, due: date) -> dict[str, float]:
        """Per supplier, the most hours one listing able to make the order offers until `due`.

        Able as the matching engine sees it (process, material, machine tolerance and size,
        lead time), leaving out certifications and the bookings still to come in the replay.
        """
        fields = story.fields
        process = fields["process"]
        any_material = TAXONOMY.processes[process].any_material
        part = (fields["part_x_mm"], fields["part_y_mm"], fields["part_z_mm"])
        days = (due - self.today).days
        rooms: dict[str, float] = {}
        for key, supplier in self.suppliers.items():
            if key == story.buyer:
                continue
            for listing in supplier.listings:
                machine = listing.machine
                if (
                    listing.paused
                    or process not in listing.processes
                    or (not any_material and fields["material"] not in listing.materials)
                    or listing.lead_time_days > days
                ):
                    continue
                if machine is not None and (
                    machine.maintenance
                    or Decimal(machine.model.tolerance) > fields["tolerance_mm"]
                    or any(
                        p > e
                        for p, e in zip(sorted(part), sorted(machine.model.envelope), strict=True)
                    )
                ):
                    continue
                hours = _calendar_hours(listing, self.today, due)
                rooms[key] = max(rooms.get(key, 0.0), hours)
        return rooms

    def kinds_for(self, process: str) -> tuple[str, ...]:
        return tuple(kind for kind in TAXONOMY.kinds_for_process(process) if kind in MACHINES)

    def timeline(
        self,
        story: Story,
        split: int,
        supplier_001: str,
        quote_count: int,
        ends: tuple[str, ...],
        late: bool,
        revised: bool,
        withdrawn: bool,
        hours: float,
    ) -> None:
        """Place the story's events in time and choose who quotes and who wins."""
        rng, target = self.rng, story.target
        uniform = rng.uniform
        quantity = story.fields["quantity"]
        # When the order was posted, when it is due (days from today), and the award.
        if target == "draft":
            story.created, story.due_offset = -uniform(0.2, 12), rng.randint(20, 70)
        elif target == "published":
            story.created, story.due_offset = -uniform(0.3, 7), rng.randint(15, 60)
        elif target == "quoted":
            story.created, story.due_offset = -uniform(2, 21), rng.randint(14, 60)
        elif target == "cancelled_open":
            story.created = -uniform(3, 45)
            story.due_offset = math.ceil(story.created + uniform(20, 50))
        elif target == "awarded":
            story.created, story.due_offset = -uniform(4, 20), rng.randint(16, 50)
        elif target == "in_production":
            story.created, story.due_offset = -uniform(8, 35), rng.randint(12, 45)
        elif target in ("delivered", "disputed"):
            story.created, story.due_offset = -uniform(14, 40), rng.randint(12, 30)
        elif target == "cancelled_award":
            story.created = -uniform(8, 30)
            story.due_offset = math.ceil(story.created + uniform(25, 45))
        else:  # completed, resolved: due and delivered in the past
            length = uniform(22, 40)
            latest = -length - (14 if target == "resolved" else 5)
            story.created = uniform(-63, latest)
            story.due_offset = math.floor(story.created + length)
        due_when = float(story.due_offset)
        if target != "draft" and not (target == "cancelled_open" and rng.random() < 0.25):
            story.publish_when = min(story.created + uniform(0.02, 0.6), -0.02)
        if target == "cancelled_open":
            story.cancel_when = min(-0.05, story.created + uniform(1.5, 12))
        open_until = {
            "quoted": -0.05,
            "cancelled_open": (story.cancel_when or 0) - 0.1,
        }
        # Award times.
        if target in ("awarded",):
            story.award_when = -uniform(0.05, min(3.0, -story.created - 2.5))
        elif target in ("in_production", "delivered", "disputed", "cancelled_award", *HISTORIC):
            story.award_when = story.created + uniform(2.5, 5)
        quote_end = (
            story.award_when - 0.1
            if story.award_when is not None
            else open_until.get(target, -0.05)
        )
        publish = story.publish_when
        # Who quotes.
        winners = split or 1
        if story.award_when is None:
            if target == "quoted":
                count = quote_count or rng.randint(2, 5)
            elif target == "cancelled_open" and publish is not None:
                count = rng.choice((0, 0, 1, 2, 3))
            else:
                count = 0
        else:
            count = max(winners, quote_count or rng.randint(winners, winners + 2))
            count = max(count, 2 if rng.random() < 0.8 else 1)
        process = story.fields["process"]
        quoters = self.pick_quoters(story, process, count, supplier_001)
        count = len(quoters)
        if publish is None or quote_end <= publish + 0.1:
            quoters, count = [], 0
        if count < winners:
            winners = max(1, count)
            split = winners if winners > 1 else 0
        shares = self.shares(quantity, winners, story.fields["min_lot"]) if count else []
        for index, supplier in enumerate(quoters):
            if index < len(shares) and winners > 1:
                quoted = min(quantity, shares[index] + rng.choice((0, 0, shares[index] // 4)))
            elif story.fields["splittable"] and index > 0 and rng.random() < 0.35:
                quoted = max(story.fields["min_lot"], _nice(int(quantity * uniform(0.3, 0.7))))
            else:
                quoted = quantity
            quoted = min(quantity, max(quoted, story.fields["min_lot"]))
            when = uniform(publish + 0.05, quote_end - 0.05)
            plan = QuotePlan(
                supplier=supplier,
                quantity=quoted,
                hours=_hours(hours * quoted / quantity * uniform(0.85, 1.2)),
                when=when,
                price_factor=uniform(1.15, 1.6),
                lead_time_days=rng.randint(5, 25),
                valid_days=rng.randint(14, 30),
                note=rng.choice(QUOTE_NOTES),
            )
            showcased = supplier == SUPPLIER_001 or (index == 0 and SUPPLIER_001 not in quoters)
            if (revised and showcased) or rng.random() < 0.15:
                plan.revise_when = uniform(when + 0.02, quote_end)
            story.quotes.append(plan)
        if withdrawn and story.quotes:
            plan = next((p for p in story.quotes if p.supplier == SUPPLIER_001), story.quotes[0])
            plan.withdraw_when = uniform(plan.when + 0.02, quote_end)
            plan.revise_when = None
        elif target == "quoted" and len(story.quotes) > 2 and rng.random() < 0.15:
            last = story.quotes[-1]
            last.withdraw_when = uniform(last.when + 0.02, quote_end)
            last.revise_when = None
        story.quotes.sort(key=lambda plan: plan.when)
        if story.award_when is not None and count:
            by_supplier = {plan.supplier: plan for plan in story.quotes}
            story.awards = [
                (quoters[index], min(shares[index], by_supplier[quoters[index]].quantity))
                for index in range(winners)
            ]
        elif story.award_when is not None:
            # Nobody quoted: the buyer gave up on the order.
            story.award_when = None
            story.target = "cancelled_open"
            story.cancel_when = min(-0.05, (story.publish_when or story.created) + uniform(2, 10))
        if story.publish_when is not None and rng.random() < 0.35 and story.quotes:
            story.invite_when = story.publish_when + 0.01
            story.invitees = [plan.supplier for plan in story.quotes]
        if story.awards:
            self.package_steps(story, ends, late, due_when)

    def pick_quoters(self, story: Story, process: str, count: int, supplier_001: str) -> list[str]:
        province = self.companies[story.buyer].province
        opened = story.publish_when if story.publish_when is not None else story.created
        candidates = [
            key
            for key, since in self.offers.get(process, [])
            if key != SUPPLIER_001 and key != story.buyer and since < opened
        ]
        weights = [
            self.activity[key] * (3 if self.companies[key].province == province else 1)
            for key in candidates
        ]
        chosen: list[str] = []
        while len(chosen) < count and candidates:
            index = self.rng.choices(range(len(candidates)), weights)[0]
            chosen.append(candidates.pop(index))
            weights.pop(index)
        if supplier_001 == "winner" and process in self.suppliers[SUPPLIER_001].processes:
            chosen = [SUPPLIER_001, *chosen[: max(0, count - 1)]]
        elif supplier_001 == "quoter" and process in self.suppliers[SUPPLIER_001].processes:
            chosen = [*chosen[: max(1, count - 1)], SUPPLIER_001]
        return chosen

    def shares(self, quantity: int, parts: int, min_lot: int) -> list[int]:
        if parts <= 1:
            return [quantity]
        weights = [self.rng.uniform(1, 2) for _ in range(parts)]
        shares = [max(min_lot, int(quantity * w / sum(weights))) for w in weights]
        shares[0] = quantity - sum(shares[1:])
        if shares[0] < min_lot:
            return [quantity]
        return shares

    def package_steps(
        self, story: Story, ends: tuple[str, ...], late: bool, due_when: float
    ) -> None:
        rng, target = self.rng, story.target
        uniform = rng.uniform
        count = len(story.awards)
        if not ends or len(ends) != count:
            ends = self.package_ends(target, count)
        award = story.award_when or 0.0
        if target in ("completed", "resolved"):
            # Closed before the due date: a delivered or disputed package keeps its booking, and
            # overdue bookings count as due today, which would block the listing meanwhile.
            delivered = due_when - uniform(3, 6) - (4 if target == "resolved" else 0)
            after = min(-0.3, due_when - uniform(0.1, 0.8))
            showcase = any(supplier == SUPPLIER_001 for supplier, _ in story.awards)
            if late or (not showcase and rng.random() < 0.2):
                story.late_days = rng.randint(1, 6)
        elif target in ("delivered", "disputed"):
            delivered = -uniform(2.5, 7)
            after = -0.05
        else:
            delivered = -0.05
            after = -0.05
        for index, end in enumerate(ends):
            chain = self.chain(end)
            finish = delivered - uniform(0, min(2.5, (delivered - award) / 4))
            production = [kind for kind in chain if kind in PRODUCTION_STEPS]
            post = [kind for kind in chain if kind not in PRODUCTION_STEPS]
            start = award + 0.3
            for position, kind in enumerate(production):
                span = (finish - start) / max(1, len(production))
                when = start + span * (position + 1 - uniform(0.1, 0.5))
                story.steps.append(
                    Step(when, kind, index, self.payload(kind, story, bool(story.late_days)))
                )
            begin = max(finish + 0.2, start)
            for position, kind in enumerate(post):
                span = (after - begin) / max(1, len(post))
                when = begin + span * (position + 1 - uniform(0.1, 0.5))
                story.steps.append(
                    Step(when, kind, index, self.payload(kind, story, bool(story.late_days)))
                )
        story.steps.sort(key=lambda step: step.when)
        # Forecast dates: the planned delivery, or just before the due date for work still open.
        for step in story.steps:
            if step.kind == "milestone":
                forecast = delivered if delivered < -0.1 else due_when - uniform(1, 5)
                step.payload["forecast_offset"] = math.ceil(max(forecast, step.when))

    def package_ends(self, target: str, count: int) -> tuple[str, ...]:
        rng = self.rng
        if target == "awarded":
            return ("accepted",) * count
        if target == "in_production":
            first = rng.choice(("in_production", "in_production", "quality_check", "shipped"))
            if count == 1:
                return (first,)
            others = [
                rng.choice(("quality_check", "shipped", "delivered", "accepted", "in_production"))
                for _ in range(count - 1)
            ]
            if count >= 3 and rng.random() < 0.3:
                others[-1] = "cancelled"
            return ("in_production", *others)
        if target == "delivered":
            if count > 1 and rng.random() < 0.4:
                return ("delivered",) * (count - 1) + ("accepted_by_buyer",)
            return ("delivered",) * count
        if target == "completed":
            return ("accepted_by_buyer",) * count
        if target == "disputed":
            others = [rng.choice(("delivered", "accepted_by_buyer")) for _ in range(count - 1)]
            return ("disputed", *others)
        if target == "resolved":
            return ("resolved",) + ("accepted_by_buyer",) * (count - 1)
        return ("cancelled",) * count

    def chain(self, end: str) -> list[str]:
        rng = self.rng
        if end == "accepted":
            return []
        if end == "cancelled":
            return ["cancel"]
        production = ["start", "milestone"]
        if end == "in_production":
            if rng.random() < 0.5:
                production.append("milestone")
            if rng.random() < 0.15:
                production += ["qc", "rework"]
            return production
        production += ["milestone", "qc"]
        if end != "quality_check" and rng.random() < 0.12:
            production += ["rework", "milestone", "qc"]
        if end == "quality_check":
            return production
        production.append("ship")
        if end == "shipped":
            return production
        production.append("deliver")
        if end == "delivered":
            return production
        if end == "accepted_by_buyer":
            return production + ["accept"] + (["review"] if rng.random() < 0.8 else [])
        if end == "disputed":
            return [*production, "dispute"]
        return production + ["dispute", "resolve"] + (["review"] if rng.random() < 0.6 else [])

    def payload(self, kind: str, story: Story, late: bool) -> dict[str, Any]:
        rng = self.rng
        if kind == "milestone":
            return {"note": " · ".join(rng.choice(MILESTONE_NOTES))}
        if kind == "rework":
            return {"note": rng.choice(REWORK_NOTES)}
        if kind == "dispute":
            return {"note": rng.choice(DISPUTE_NOTES)}
        if kind == "resolve":
            return {"note": rng.choice(RESOLUTION_NOTES)}
        if kind == "cancel":
            return {"note": rng.choice(CANCEL_NOTES), "by_buyer": rng.random() < 0.6}
        if kind == "review":
            if late:
                comment = rng.choice(LATE_REVIEW_COMMENTS)
                delivery = rng.randint(2, 3)
            else:
                comment = rng.choice(REVIEW_COMMENTS)
                delivery = rng.choice((4, 5, 5))
            quality = rng.choice((3, 4, 4, 5, 5, 5))
            if story.target == "resolved":
                quality = rng.randint(2, 3)
            return {
                "quality": quality,
                "delivery": delivery,
                "communication": rng.choice((3, 4, 5, 5)),
                "comment": comment,
            }
        return {}


PRODUCTION_STEPS = frozenset({"start", "milestone", "qc", "rework", "ship", "deliver", "cancel"})

# Hand-made orders for the fixed sign-ins; the rest of ORDER_MIX is drawn at random.
_CNC = "cnc_milling_3axis"
# fmt: off
SHOWCASE: tuple[dict[str, Any], ...] = (
    # buyer@demo.sharefab.cn: an order in every state.
    {"target": "draft", "buyer": BUYER_001, "process": _CNC},
    {"target": "draft", "buyer": BUYER_001, "process": "sheet_metal_welding"},
    {"target": "published", "buyer": BUYER_001, "process": "cnc_milling_4axis"},
    {"target": "published", "buyer": BUYER_001, "process": "laser_cutting"},
    {"target": "quoted", "buyer": BUYER_001, "process": _CNC, "quotes": 5, "supplier_001": "quoter",
     "revised": True, "split": 2},
    {"target": "quoted", "buyer": BUYER_001, "process": "cnc_turning", "quotes": 3,
     "supplier_001": "quoter"},
    {"target": "quoted", "buyer": BUYER_001, "process": "press_brake_bending", "quotes": 2},
    {"target": "cancelled_open", "buyer": BUYER_001, "process": _CNC},
    {"target": "awarded", "buyer": BUYER_001, "process": "cnc_milling_4axis",
     "supplier_001": "winner"},
    {"target": "awarded", "buyer": BUYER_001, "process": "laser_cutting", "split": 2},
    {"target": "in_production", "buyer": BUYER_001, "process": _CNC, "split": 3,
     "supplier_001": "winner", "ends": ("quality_check", "shipped", "in_production")},
    {"target": "in_production", "buyer": BUYER_001, "process": "cnc_turning",
     "supplier_001": "winner", "ends": ("in_production",)},
    {"target": "in_production", "buyer": BUYER_001, "process": "sheet_metal_welding"},
    {"target": "delivered", "buyer": BUYER_001, "process": "cnc_milling_4axis",
     "supplier_001": "winner", "ends": ("delivered",)},
    {"target": "completed", "buyer": BUYER_001, "process": _CNC, "supplier_001": "winner"},
    {"target": "completed", "buyer": BUYER_001, "process": "laser_cutting", "split": 2},
    {"target": "completed", "buyer": BUYER_001, "process": "cnc_turning", "late": True},
    {"target": "completed", "buyer": BUYER_001, "process": _CNC, "split": 2,
     "supplier_001": "winner"},
    {"target": "disputed", "buyer": BUYER_001, "process": _CNC, "supplier_001": "winner",
     "ends": ("disputed",)},
    {"target": "resolved", "buyer": BUYER_001, "process": "press_brake_bending"},
    {"target": "cancelled_award", "buyer": BUYER_001, "process": _CNC},
    # supplier@demo.sharefab.cn: quotes and packages for other buyers.
    {"target": "quoted", "buyer": "buyer-002", "process": _CNC, "supplier_001": "quoter",
     "quotes": 3, "revised": True},
    {"target": "quoted", "buyer": "buyer-003", "process": "cnc_milling_4axis",
     "supplier_001": "quoter", "quotes": 3},
    {"target": "quoted", "buyer": "buyer-004", "process": "cnc_milling_5axis",
     "supplier_001": "quoter", "quotes": 4, "withdrawn": True},
    {"target": "awarded", "buyer": "buyer-005", "process": "cnc_milling_5axis",
     "supplier_001": "winner", "hours_cap": 30},
    {"target": "in_production", "buyer": "buyer-006", "process": _CNC, "supplier_001": "winner",
     "ends": ("shipped",)},
    {"target": "in_production", "buyer": "buyer-007", "process": "cnc_milling_4axis",
     "supplier_001": "winner", "ends": ("quality_check",)},
    {"target": "in_production", "buyer": "buyer-008", "process": _CNC, "supplier_001": "winner",
     "ends": ("in_production",)},
    {"target": "delivered", "buyer": "buyer-009", "process": "cnc_turning",
     "supplier_001": "winner", "ends": ("delivered",)},
    {"target": "completed", "buyer": "buyer-010", "process": _CNC, "supplier_001": "winner"},
    {"target": "completed", "buyer": "buyer-011", "process": "cnc_milling_4axis",
     "supplier_001": "winner"},
    {"target": "completed", "buyer": "buyer-012", "process": "cnc_milling_5axis",
     "supplier_001": "winner", "late": True, "hours_cap": 30},
    {"target": "completed", "buyer": "buyer-013", "process": _CNC, "supplier_001": "winner"},
    {"target": "completed", "buyer": "buyer-014", "process": "cnc_turning",
     "supplier_001": "winner"},
    {"target": "completed", "buyer": "buyer-015", "process": _CNC, "supplier_001": "quoter"},
    {"target": "resolved", "buyer": "buyer-016", "process": _CNC, "supplier_001": "quoter"},
    {"target": "cancelled_award", "buyer": "buyer-017", "process": "cnc_milling_4axis",
     "supplier_001": "winner", "ends": ("cancelled",)},
    {"target": "in_production", "buyer": "buyer-018", "process": _CNC, "supplier_001": "quoter"},
)
# fmt: on


# --- Replaying the plan on a simulated clock --------------------------------------------------


class _SimulatedDateTime(datetime):
    """`core.db`'s view of `datetime` while the history is replayed: `now()` is the event's."""

    moment: datetime = datetime.now(UTC)

    @classmethod
    def now(cls, tz: Any = None) -> datetime:  # type: ignore[override]
        moment = _SimulatedDateTime.moment
        return moment.astimezone(tz) if tz is not None else moment.replace(tzinfo=None)


@contextmanager
def _simulated_clock(start: datetime) -> Iterator[None]:
    """Make `core.db.utcnow()` answer `_SimulatedDateTime.moment` until the block ends.

    Raises:
        RuntimeError when `utcnow` no longer reads `core.db.datetime` (the clock would not move).
    """
    real = core_db.datetime
    _SimulatedDateTime.moment = start
    core_db.datetime = _SimulatedDateTime  # type: ignore[misc]
    try:
        if utcnow() != start:
            raise RuntimeError(
                "core.db.utcnow no longer reads core.db.datetime; fix the demo clock"
            )
        yield
    finally:
        core_db.datetime = real  # type: ignore[misc]


@contextmanager
def _asynchronous_commits() -> Iterator[None]:
    """On PostgreSQL, let the seeding connection's commits return before the WAL is flushed.

    The services commit once per use case, some ten thousand times here; waiting for each flush
    would take most of the seeding time. A server crash could lose the last commits, never make
    them inconsistent, and a lost demo seed is seeded again. The single-threaded seeder keeps
    reusing the one pooled connection the setting is made on.
    """
    postgresql = db.session.get_bind().dialect.name == "postgresql"
    if postgresql:
        db.session.execute(text("SET synchronous_commit TO OFF"))
        db.session.commit()
    try:
        yield
    finally:
        if postgresql:
            db.session.rollback()
            db.session.execute(text("SET synchronous_commit TO DEFAULT"))
            db.session.commit()


class _Timeline:
    """Turns "days from now" into moments inside the working day of the clusters (Shanghai).

    Day 0 ends at the close of yesterday's working day, so the moments depend on today's date
    only, not on the hour of seeding (which would move events across midnight between runs).
    """

    def __init__(self, now: datetime) -> None:
        self.position = now.date().toordinal() - 1 + 0.999

    def moment(self, days: float) -> datetime:
        """The moment `days` (≤ 0) from now; later days give later moments."""
        position = self.position + days
        day = math.floor(position)
        opening = datetime.combine(
            date.fromordinal(day), datetime.min.time().replace(hour=WORKDAY_START[0]), SHANGHAI
        ) + timedelta(minutes=WORKDAY_START[1])
        return (opening + WORKDAY * (position - day)).astimezone(UTC).replace(microsecond=0)


def _tiny_pdf(label: str) -> bytes:
    """A one-page PDF with a title block: enough to stand in for a drawing."""
    text = f"BT /F1 18 Tf 72 760 Td ({label}) Tj ET BT /F1 10 Tf 72 740 Td (ShareFab demo) Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        f"<< /Length {len(text)} >>\nstream\n{text}\nendstream".encode(),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(f"{number} 0 obj\n".encode() + body + b"\nendobj\n")
    xref = out.tell()
    out.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode())
    for offset in offsets:
        out.write(f"{offset:010d} 00000 n \n".encode())
    out.write(f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\n".encode())
    out.write(f"startxref\n{xref}\n%%EOF\n".encode())
    return out.getvalue()


class _Replay:
    """Runs the plan through the services, event by event, in time order."""

    def __init__(self, planner: _Planner, now: datetime) -> None:
        self.planner = planner
        self.now = now
        self.today = now.date()
        self.timeline = _Timeline(now)
        self.events: list[tuple[datetime, int, Callable[[], None]]] = []
        self.counter = itertools.count()
        self.principals: dict[str, Principal] = {}
        self.company_ids: dict[str, int] = {}
        self.operator: Principal | None = None
        self.keys_by_company: dict[int, str] = {}
        self.skipped_quotes = 0
        self.fallbacks = 0

    # Setup

    def load_people(self) -> None:
        emails = {owner_email(key): key for key in self.planner.companies}
        rows = db.session.execute(
            select(User.email, User.id, User.company_id).where(
                User.email.in_([*emails, OPERATOR_EMAIL])
            )
        ).all()
        for email, user_id, company_id in rows:
            if email == OPERATOR_EMAIL:
                self.operator = _principal(user_id, None, operator=True)
            else:
                key = emails[email]
                self.principals[key] = _principal(user_id, company_id)
                self.company_ids[key] = company_id
        self.keys_by_company = {company_id: key for key, company_id in self.company_ids.items()}
        missing = sorted(set(emails.values()) - set(self.principals))
        if missing or self.operator is None:
            raise click.ClickException(
                f"the demo accounts are missing ({', '.join(missing[:3]) or 'operator'} …); "
                "seed a fresh database with `flask demo seed`"
            )

    def backdate_accounts(self) -> None:
        """Companies joined the platform months before their history here starts."""
        rng = random.Random(SEED + 1)
        rows = []
        for key in self.planner.companies:
            joined = self.now - timedelta(days=rng.randint(100, 700), minutes=rng.randint(0, 600))
            rows.append((self.company_ids[key], joined, joined + timedelta(days=rng.randint(1, 9))))
        for company_id, joined, verified in rows:
            db.session.execute(
                update(Company)
                .where(Company.id == company_id)
                .values(
                    created_at=joined,
                    verified_at=case((Company.verified.is_(True), verified), else_=None),
                )
            )
            db.session.execute(
                update(User).where(User.company_id == company_id).values(created_at=joined)
            )
        db.session.commit()

    def at(self, days: float, action: Callable[[], None]) -> None:
        if days > 0:
            raise ValueError(f"an event planned {days:.2f} days in the future")
        heapq.heappush(self.events, (self.timeline.moment(days), next(self.counter), action))

    def schedule(self) -> None:
        for key, supplier in self.planner.suppliers.items():
            listing_created = min((listing.created for listing in supplier.listings), default=-70)
            self.at(listing_created - 5, self.register(key, supplier.machines))
            for listing in supplier.listings:
                self.at(listing.created, self.create_listing(key, listing))
        for story in self.planner.stories:
            self.at(story.created, self.create_order(story))
            if story.publish_when is not None:
                self.at(story.publish_when, self.story_step(story, self.publish))
            if story.invite_when is not None:
                self.at(story.invite_when, self.story_step(story, self.invite))
            for plan in story.quotes:
                self.at(plan.when, self.quote_step(story, plan, "submit", plan.when))
                if plan.revise_when is not None:
                    self.at(
                        plan.revise_when, self.quote_step(story, plan, "revise", plan.revise_when)
                    )
                if plan.withdraw_when is not None:
                    self.at(
                        plan.withdraw_when,
                        self.quote_step(story, plan, "withdraw", plan.withdraw_when),
                    )
            if story.cancel_when is not None:
                self.at(story.cancel_when, self.story_step(story, self.cancel))
            if story.award_when is not None:
                self.at(story.award_when, self.story_step(story, self.award))
            for step in story.steps:
                self.at(step.when, self.package_step(story, step))

    def run(self) -> None:
        while self.events:
            moment, _, action = heapq.heappop(self.events)
            _SimulatedDateTime.moment = moment
            action()

    # Machines and listings

    def register(self, key: str, machines: list[MachinePlan]) -> Callable[[], None]:
        """Register a supplier's machines in one transaction.

        Not through `register_machine`: a thousand single-machine transactions were a fifth of
        the seeding time. The rows and their history are the ones the service writes; the demo
        test checks every machine against the rules the service applies.
        """

        def action() -> None:
            principal = self.principals[key]
            rows = []
            with unit_of_work() as session:
                for machine in machines:
                    kind = TAXONOMY.machine_kinds[machine.kind]
                    row = Machine(
                        company_id=principal.company_id,
                        kind=machine.kind,
                        attributes=dict(machine.model.attributes),
                        name=f"{machine.number}号机 {kind.label.zh}"[:120],
                        brand=machine.model.brand,
                        model=machine.model.model,
                        year=machine.year,
                        envelope_x_mm=machine.model.envelope[0],
                        envelope_y_mm=machine.model.envelope[1],
                        envelope_z_mm=machine.model.envelope[2],
                        tolerance_mm=Decimal(machine.model.tolerance),
                        rate_amount=Decimal(machine.rate),
                        rate_currency="CNY",
                        rate_unit="machine_hour",
                        process_rows=[MachineProcess(process=p) for p in sorted(machine.processes)],
                        material_rows=[
                            MachineMaterial(material=m) for m in sorted(machine.materials)
                        ],
                    )
                    session.add(row)
                    rows.append(row)
                session.flush()
                for row in rows:
                    record_status(
                        session, "machine", row, None, MachineStatus.ACTIVE, Actor.SUPPLIER,
                        principal,
                    )  # fmt: skip
            for machine, row in zip(machines, rows, strict=True):
                machine.id = row.id

        return action

    def create_listing(self, key: str, listing: ListingPlan) -> Callable[[], None]:
        def action() -> None:
            created = machine_services.create_listing(
                self.principals[key],
                title=listing.title,
                weekday_hours=[Decimal(hours) for hours in listing.calendar.hours],
                start_date=self.today + timedelta(days=listing.start),
                end_date=self.today + timedelta(days=listing.end),
                price_amount=Decimal(listing.price),
                price_currency="CNY",
                price_unit="machine_hour",
                lead_time_days=listing.lead_time_days,
                machine_id=listing.machine.id if listing.machine else None,
                processes=None if listing.machine else listing.processes,
                materials=None if listing.machine else listing.materials,
                exceptions=listing.exceptions,
            )
            listing.id = created.id

        return action

    # Orders and quotes

    def story_step(self, story: Story, step: Callable[[Story], None]) -> Callable[[], None]:
        def action() -> None:
            if story.order_id is not None and not story.stuck:
                step(story)

        return action

    def create_order(self, story: Story) -> Callable[[], None]:
        def action() -> None:
            fields = dict(story.fields, due_date=self.today + timedelta(days=story.due_offset))
            order = order_services.create_order(self.principals[story.buyer], fields)
            story.order_id = order.id
            if story.drawing:
                order_services.add_attachment(
                    self.principals[story.buyer],
                    order.id,
                    f"DWG-{story.number:04d}-A.pdf",
                    io.BytesIO(_tiny_pdf(f"DWG-{story.number:04d} Rev. A")),
                )

        return action

    def publish(self, story: Story) -> None:
        order_services.publish_order(self.principals[story.buyer], story.order_id)

    def invite(self, story: Story) -> None:
        order_services.invite_suppliers(
            self.principals[story.buyer],
            story.order_id,
            [self.company_ids[key] for key in story.invitees],
        )

    def cancel(self, story: Story) -> None:
        order_services.cancel_order(
            self.principals[story.buyer], story.order_id, note=CANCEL_NOTES[story.number % 3]
        )

    def quote_step(
        self, story: Story, plan: QuotePlan, what: str, when: float
    ) -> Callable[[], None]:
        def action() -> None:
            if story.order_id is None or story.stuck:
                return
            principal = self.principals[plan.supplier]
            if what == "withdraw":
                quote = self.quote_of(story, plan.supplier)
                if quote is not None and quote.status is QuoteStatus.SUBMITTED:
                    order_services.withdraw_quote(principal, quote.id)
                return
            if what == "revise" and self.quote_of(story, plan.supplier) is None:
                return
            listing = self.listing_for(story, plan)
            if listing is None:
                self.skipped_quotes += what == "submit"
                return
            order = db.session.get(Order, story.order_id)
            factor = plan.price_factor * (0.94 if what == "revise" else 1.0)
            per_piece = (
                plan.hours * listing.price_amount * Decimal(str(factor)) / plan.quantity
            ) / CNY_PER_UNIT[order.currency.value]
            sim_today = utcnow().date()
            # Valid until the award (or today, for quotes still open) and then some.
            horizon = story.award_when if story.award_when is not None else story.cancel_when
            needed = math.ceil((0.0 if horizon is None else horizon) - when) + 3
            until = max(plan.valid_days, needed + plan.valid_days // 3)
            terms = {
                "listing_id": listing.id,
                "unit_price": _money(per_piece),
                "quantity": plan.quantity,
                "machine_hours": plan.hours,
                "lead_time_days": max(3, plan.lead_time_days - (3 if what == "revise" else 0)),
                "valid_until": sim_today + timedelta(days=min(until, 180)),
                "note": REVISION_NOTES[story.number % 3] if what == "revise" else plan.note,
            }
            try:
                order_services.submit_quote(principal, story.order_id, terms)
            except CapacityExhausted:
                self.skipped_quotes += what == "submit"

        return action

    def quote_of(self, story: Story, supplier: str) -> Any:
        order = db.session.get(Order, story.order_id)
        company_id = self.company_ids[supplier]
        return next((q for q in order.quotes if q.supplier_company_id == company_id), None)

    def listing_for(self, story: Story, plan: QuotePlan) -> CapacityListing | None:
        """The supplier's active listing for the process with the most room before the due."""
        process = story.fields["process"]
        due = self.today + timedelta(days=story.due_offset)
        today = utcnow().date()
        best, room = None, Decimal(-1)
        for listing_plan in self.planner.suppliers[plan.supplier].listings:
            if listing_plan.id is None or process not in listing_plan.processes:
                continue
            listing = db.session.get(CapacityListing, listing_plan.id)
            if listing.status is not ListingStatus.ACTIVE:
                continue
            free = free_hours_before(
                listing.calendar, machine_services.open_bookings(listing), today, due
            )
            if free > room:
                best, room = listing, free
        return best if best is not None and room >= plan.hours else None

    def fits(self, story: Story, quote: Any, quantity: int) -> bool:
        """Whether the award would fit the listing now and, for work still open, today."""
        listing = db.session.get(CapacityListing, quote.listing_id)
        if listing.status is not ListingStatus.ACTIVE:
            return False
        hours = hours_for(quantity, quote.quantity, quote.machine_hours)
        due = self.today + timedelta(days=story.due_offset)
        bookings = [*machine_services.open_bookings(listing), Booking(hours, due)]
        if not bookings_fit(listing.calendar, bookings, utcnow().date()):
            return False
        # Work due before today belongs to packages closed by today: it holds no hours then.
        still_open = [booking for booking in bookings if booking.due >= self.today]
        return story.historic or bookings_fit(listing.calendar, still_open, self.today)

    def award(self, story: Story) -> None:
        order = db.session.get(Order, story.order_id)
        submitted = [q for q in order.quotes if q.status is QuoteStatus.SUBMITTED]
        by_company = {quote.supplier_company_id: quote for quote in submitted}
        chosen: list[tuple[Any, int]] = []
        for supplier, quantity in story.awards:
            quote = by_company.get(self.company_ids[supplier])
            if (
                quote is not None
                and quote.quantity >= quantity
                and self.fits(story, quote, quantity)
            ):
                chosen.append((quote, quantity))
                continue
            # The planned quote is missing or its listing has filled up: take another one.
            used = {quote.id for quote, _ in chosen} | {
                by_company[self.company_ids[key]].id
                for key, _ in story.awards
                if self.company_ids[key] in by_company
            }
            spare = [
                q
                for q in sorted(submitted, key=lambda q: (q.unit_price, q.id))
                if q.id not in used and q.quantity >= quantity and self.fits(story, q, quantity)
            ]
            if not spare:
                # Every supplier's capacity is gone by now: the buyer withdraws the order.
                order_services.cancel_order(
                    self.principals[story.buyer],
                    story.order_id,
                    note="报价方均已无产能 · No quoting supplier has capacity left",
                )
                story.stuck = "no quote with capacity left"
                return
            self.fallbacks += 1
            chosen.append((spare[0], quantity))
        packages = order_services.award_order(
            self.principals[story.buyer],
            story.order_id,
            [Allocation(quote.id, quantity) for quote, quantity in chosen],
        )
        by_quote = {package.quote_id: package.id for package in packages}
        story.package_ids = {index: by_quote[quote.id] for index, (quote, _) in enumerate(chosen)}

    # Packages

    def package_step(self, story: Story, step: Step) -> Callable[[], None]:
        def action() -> None:
            package_id = story.package_ids.get(step.package)
            if package_id is None or story.stuck:
                return
            package = db.session.get(WorkPackage, package_id)
            supplier = self.keys_by_company[package.supplier_company_id]
            self.run_package_step(story, step, package_id, self.principals[supplier])

        return action

    def run_package_step(
        self, story: Story, step: Step, package_id: int, supplier: Principal
    ) -> None:
        buyer = self.principals[story.buyer]
        transition = package_services.transition_package
        kind, payload = step.kind, step.payload
        if kind == "start":
            transition(supplier, package_id, PackageStatus.IN_PRODUCTION)
        elif kind == "milestone":
            package = db.session.get(WorkPackage, package_id)
            progress = min(95, package.progress_pct + 15 + (story.number * 7 + step.package) % 25)
            package_services.report_progress(
                supplier,
                package_id,
                progress_pct=progress,
                forecast_date=self.today + timedelta(days=payload["forecast_offset"]),
                note=payload["note"],
            )
        elif kind == "qc":
            transition(supplier, package_id, PackageStatus.QUALITY_CHECK)
        elif kind == "rework":
            transition(
                supplier,
                package_id,
                PackageStatus.IN_PRODUCTION,
                quality_passed=False,
                note=payload["note"],
            )
        elif kind == "ship":
            transition(supplier, package_id, PackageStatus.SHIPPED, quality_passed=True)
        elif kind == "deliver":
            transition(buyer, package_id, PackageStatus.DELIVERED)
        elif kind == "accept":
            transition(buyer, package_id, PackageStatus.ACCEPTED_BY_BUYER)
        elif kind == "review":
            package_services.review_package(
                buyer,
                package_id,
                quality=payload["quality"],
                delivery=payload["delivery"],
                communication=payload["communication"],
                comment=payload["comment"],
            )
        elif kind == "dispute":
            transition(buyer, package_id, PackageStatus.DISPUTED, note=payload["note"])
        elif kind == "resolve":
            transition(self.operator, package_id, PackageStatus.RESOLVED, note=payload["note"])
        elif kind == "cancel":
            who = buyer if payload["by_buyer"] else supplier
            transition(who, package_id, PackageStatus.CANCELLED, note=payload["note"])

    # After the replay (real clock)

    def backdate_due_dates(self) -> int:
        """Move the due date of the orders meant to be late before their last delivery.

        Their bookings are released (the packages are closed), so no capacity changes.
        """
        changed = 0
        for story in self.planner.stories:
            if not story.late_days or story.stuck or not story.package_ids:
                continue
            packages = [db.session.get(WorkPackage, i) for i in story.package_ids.values()]
            delivered = [p.delivered_at.date() for p in packages if p.delivered_at is not None]
            if not delivered or any(p.closed_at is None for p in packages):
                continue
            awarded = min(p.created_at.date() for p in packages)
            due = max(delivered) - timedelta(days=story.late_days)
            if due <= awarded + timedelta(days=3):
                continue
            db.session.execute(update(Order).where(Order.id == story.order_id).values(due_date=due))
            for package in packages:
                package.due_date = due
                package.promised_date = min(package.promised_date, due)
            db.session.execute(
                update(CapacityBooking)
                .where(CapacityBooking.work_package_id.in_(story.package_ids.values()))
                .values(due_date=due)
            )
            changed += 1
        db.session.commit()
        return changed

    def finish_statuses(self) -> None:
        """Pause a few listings and send a few machines to maintenance, as suppliers do."""
        for key, supplier in self.planner.suppliers.items():
            for listing in supplier.listings:
                if listing.paused and listing.id is not None:
                    current = db.session.get(CapacityListing, listing.id)
                    if current.status is ListingStatus.ACTIVE:
                        machine_services.change_listing_status(
                            self.principals[key],
                            listing.id,
                            ListingStatus.PAUSED,
                            note="订单已排满，暂停接单 · Busy, not taking orders for now",
                        )
            for machine in supplier.machines:
                if machine.maintenance and machine.id is not None:
                    machine_services.change_machine_status(
                        self.principals[key],
                        machine.id,
                        MachineStatus.MAINTENANCE,
                        note="主轴更换 · Spindle replacement",
                    )


def seed_production() -> None:
    """Add machines, capacity, orders, quotes and packages to the demo accounts.

    Raises:
        click.ClickException without the demo accounts, or when production data already exists.
    """
    started = time.perf_counter()
    if db.session.scalar(select(Company.id).limit(1)) is None:
        raise click.ClickException("no companies yet; the accounts seeder runs first")
    if (
        db.session.scalar(select(Machine.id).limit(1)) is not None
        or db.session.scalar(select(Order.id).limit(1)) is not None
    ):
        raise click.ClickException("the database already has machines or orders; seed a fresh one")
    now = utcnow().replace(microsecond=0)
    planner = _Planner(generate_demo_companies(), now.date())
    planner.plan_suppliers()
    planner.plan_orders()
    replay = _Replay(planner, now)
    replay.load_people()
    replay.backdate_accounts()
    replay.schedule()
    planned = time.perf_counter()
    first = replay.events[0][0] if replay.events else now
    with _asynchronous_commits():
        with _simulated_clock(first):
            replay.run()
            replayed = time.perf_counter()
            late = replay.backdate_due_dates()
            replay.finish_statuses()
            for company_id in sorted(
                replay.company_ids[key] for key in planner.suppliers if key in replay.company_ids
            ):
                package_services.recompute_scorecard(company_id)
        # Today's matches, on the real clock: what the matching task stores once a worker runs.
        finished = time.perf_counter()
        matched, split_proposals = _store_matches()
    matching = time.perf_counter() - finished
    stuck = [story for story in planner.stories if story.stuck]
    statuses = Counter(status.value for status in db.session.scalars(select(Order.status)).all())
    by_status = ", ".join(f"{status} {count}" for status, count in sorted(statuses.items()))
    click.echo(
        f"production: {sum(len(s.machines) for s in planner.suppliers.values())} machines, "
        f"{sum(len(s.listings) for s in planner.suppliers.values())} listings, "
        f"{len(planner.stories)} orders ({by_status}); {late} delivered late; "
        f"{replay.skipped_quotes} quotes skipped for capacity, {replay.fallbacks} awards moved "
        f"to another quote, {len(stuck)} orders cancelled for want of capacity; "
        f"{matched} open orders with matches, {split_proposals} proposed across 2+ suppliers "
        f"({planner.large_orders} planned too big for one); "
        f"plan {planned - started:.1f}s, replay {replayed - planned:.1f}s, "
        f"matches {matching:.1f}s, total {time.perf_counter() - started:.1f}s"
    )


def _store_matches() -> tuple[int, int]:
    """Rank and store the matches of every open order.

    Returns how many open orders have at least one candidate, and how many of their proposals
    split the order across two or more suppliers.
    """
    open_orders = db.session.scalars(
        select(Order.id).where(Order.status.in_(order_services.OPEN_FOR_QUOTES)).order_by(Order.id)
    ).all()
    matched = split = 0
    for order_id in open_orders:
        run = refresh_matches(order_id)
        if run is None:
            continue
        matched += run.feasible > 0
        split += len((run.proposal or {}).get("shares", ())) >= 2
    return matched, split
