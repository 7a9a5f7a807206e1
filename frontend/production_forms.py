"""Forms of the production pages: machines, capacity, orders, quotes, packages and reviews.

Choices that depend on the reader's language (taxonomy labels) or on the company's own data
(its machines, its listings) are filled in by the views with `fill_*` helpers.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import NumberInput

from core.db import utcnow
from core.money import Currency
from frontend.forms import MultiCheckboxField
from marketplace.capacity import WEEKDAYS
from marketplace.domain import CertificationStandard
from marketplace.production import (
    MAX_ENVELOPE_MM,
    MAX_LEAD_TIME_DAYS,
    MAX_QUANTITY,
    MAX_TOLERANCE_MM,
    MIN_TOLERANCE_MM,
    RATE_UNIT_LABELS,
)
from marketplace.services.matching import MAX_PLAN_SECONDS
from marketplace.taxonomy import TAXONOMY
from matching.domain import MAX_WEIGHT
from matching.planning import PlanMode

CURRENCIES = [(currency.value, currency.value) for currency in Currency]
MONEY_STEP = {"step": "0.01", "min": "0.01", "inputmode": "decimal"}
HOURS_STEP = {"step": "0.5", "min": "0", "max": "24", "inputmode": "decimal"}
# An empty hour box means no hours that day.
_DAY = {"validators": [Optional()], "render_kw": HOURS_STEP}
# What buyers and suppliers pass for an empty "no single machine" choice.
NO_MACHINE = 0
# The buyer's estimate of machine-minutes per piece (the order service checks the same range).
MIN_MINUTES_PER_PIECE = Decimal("0.01")
MAX_MINUTES_PER_PIECE = Decimal(100_000)
WEIGHT_INPUT = NumberInput(step="0.5", min=0, max=int(MAX_WEIGHT))


def plain(value: Decimal | None) -> Decimal | None:
    """A stored amount as people type it: 400, not 400.0000 (and never 4E+2)."""
    return None if value is None else Decimal(format(value.normalize(), "f"))


def _rate_units() -> list[tuple[str, object]]:
    return [(unit.value, _l(label)) for unit, label in RATE_UNIT_LABELS.items()]


def _certifications() -> list[tuple[str, str]]:
    return [(standard.value, standard.value) for standard in CertificationStandard]


class MachineForm(FlaskForm):
    name = StringField(
        _l("Name"),
        validators=[DataRequired(), Length(max=120)],
        description=_l("How your shop floor calls it, e.g. DMU 50 no. 2"),
    )
    kind = SelectField(_l("Machine kind"), choices=[])
    processes = MultiCheckboxField(_l("Processes it performs"), choices=[])
    materials = MultiCheckboxField(_l("Materials it works"), choices=[])
    brand = StringField(_l("Brand"), validators=[Length(max=80)])
    model = StringField(_l("Model"), validators=[Length(max=80)])
    year = IntegerField(_l("Year built"), validators=[Optional(), NumberRange(1950, 2100)])
    envelope_x_mm = IntegerField(
        _l("Work envelope X (mm)"),
        validators=[InputRequired(), NumberRange(1, MAX_ENVELOPE_MM)],
        render_kw={"min": 1, "max": MAX_ENVELOPE_MM},
    )
    envelope_y_mm = IntegerField(
        _l("Work envelope Y (mm)"),
        validators=[InputRequired(), NumberRange(1, MAX_ENVELOPE_MM)],
        render_kw={"min": 1, "max": MAX_ENVELOPE_MM},
    )
    envelope_z_mm = IntegerField(
        _l("Work envelope Z (mm)"),
        validators=[InputRequired(), NumberRange(1, MAX_ENVELOPE_MM)],
        render_kw={"min": 1, "max": MAX_ENVELOPE_MM},
    )
    tolerance_mm = DecimalField(
        _l("Best tolerance (± mm)"),
        places=None,
        validators=[InputRequired(), NumberRange(MIN_TOLERANCE_MM, MAX_TOLERANCE_MM)],
        render_kw={"step": "0.0005", "min": "0.0005", "max": "10", "inputmode": "decimal"},
    )
    rate_amount = DecimalField(
        _l("Rate"), places=None, validators=[InputRequired()], render_kw=MONEY_STEP
    )
    rate_currency = SelectField(_l("Currency"), choices=CURRENCIES, default=Currency.CNY.value)
    rate_unit = SelectField(_l("Charged"), choices=_rate_units(), default="machine_hour")
    # Kind-specific figures are read from "attribute-<code>" inputs; errors about them land here.
    attributes = HiddenField()


class ListingTermsForm(FlaskForm):
    """What a supplier may change on a listing: its calendar, dates, price and terms."""

    title = StringField(
        _l("Title"),
        validators=[DataRequired(), Length(max=200)],
        description=_l("What buyers see, e.g. 5-axis milling, nights and weekends"),
    )
    mon = DecimalField(_l("Monday"), places=None, default=Decimal(8), **_DAY)
    tue = DecimalField(_l("Tuesday"), places=None, default=Decimal(8), **_DAY)
    wed = DecimalField(_l("Wednesday"), places=None, default=Decimal(8), **_DAY)
    thu = DecimalField(_l("Thursday"), places=None, default=Decimal(8), **_DAY)
    fri = DecimalField(_l("Friday"), places=None, default=Decimal(8), **_DAY)
    sat = DecimalField(_l("Saturday"), places=None, default=Decimal(0), **_DAY)
    sun = DecimalField(_l("Sunday"), places=None, default=Decimal(0), **_DAY)
    start_date = DateField(_l("Available from"), validators=[DataRequired()])
    end_date = DateField(_l("Available until"), validators=[DataRequired()])
    price_amount = DecimalField(
        _l("Price"), places=None, validators=[InputRequired()], render_kw=MONEY_STEP
    )
    price_currency = SelectField(_l("Currency"), choices=CURRENCIES, default=Currency.CNY.value)
    price_unit = SelectField(_l("Charged"), choices=_rate_units(), default="machine_hour")
    min_lot = IntegerField(
        _l("Minimum lot (pieces)"),
        default=1,
        validators=[InputRequired(), NumberRange(1, MAX_QUANTITY)],
        render_kw={"min": 1},
    )
    lead_time_days = IntegerField(
        _l("Lead time (days)"),
        default=7,
        validators=[InputRequired(), NumberRange(0, MAX_LEAD_TIME_DAYS)],
        render_kw={"min": 0, "max": MAX_LEAD_TIME_DAYS},
    )
    # Errors about the weekly calendar as a whole (all zero, booked work no longer fits).
    weekday_hours = HiddenField()

    def day_fields(self) -> list:
        return [getattr(self, day) for day in WEEKDAYS]

    def weekday_values(self) -> list[Decimal]:
        return [field.data if field.data is not None else Decimal(0) for field in self.day_fields()]

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        for field in self.day_fields():
            if field.data is None and not field.errors:
                field.data = Decimal(0)
            if field.data is not None and not Decimal(0) <= field.data <= 24:
                field.errors = [*field.errors, _l("Between 0 and 24 hours.")]
                valid = False
        return valid


class ListingForm(ListingTermsForm):
    """A new listing: the terms plus what it offers (one machine or a process group)."""

    machine_id = SelectField(_l("Machine"), coerce=int, choices=[], default=NO_MACHINE)
    processes = MultiCheckboxField(
        _l("Processes offered"),
        choices=[],
        description=_l("Leave empty to offer everything the chosen machine does."),
    )
    materials = MultiCheckboxField(_l("Materials"), choices=[])


class ExceptionForm(FlaskForm):
    day = DateField(_l("Day"), validators=[DataRequired()])
    hours = DecimalField(
        _l("Hours that day"),
        places=None,
        default=Decimal(0),
        validators=[InputRequired(), NumberRange(0, 24)],
        render_kw=HOURS_STEP,
    )
    note = StringField(
        _l("Reason"),
        validators=[Length(max=200)],
        description=_l("e.g. Spring Festival, spindle maintenance"),
    )


class QuoteForm(FlaskForm):
    listing_id = SelectField(_l("From capacity listing"), coerce=int, choices=[])
    unit_price = DecimalField(
        _l("Unit price"), places=None, validators=[InputRequired()], render_kw=MONEY_STEP
    )
    quantity = IntegerField(
        _l("Quantity"), validators=[InputRequired(), NumberRange(1, MAX_QUANTITY)]
    )
    machine_hours = DecimalField(
        _l("Machine-hours"),
        places=None,
        validators=[InputRequired()],
        render_kw={"step": "0.5", "min": "0.01", "inputmode": "decimal"},
        description=_l("What this quantity takes; the hours are booked on the listing if you win."),
    )
    lead_time_days = IntegerField(
        _l("Lead time (days)"),
        validators=[InputRequired(), NumberRange(0, MAX_LEAD_TIME_DAYS)],
        render_kw={"min": 0, "max": MAX_LEAD_TIME_DAYS},
    )
    valid_until = DateField(_l("Valid until"), validators=[DataRequired()])
    note = TextAreaField(_l("Note to the buyer"), validators=[Length(max=2000)])

    def prefill(self, order, listing=None) -> None:
        """Sensible starting values for a first quote on `order`."""
        self.quantity.data = order.quantity
        self.valid_until.data = utcnow().date() + timedelta(days=30)
        if listing is not None:
            self.listing_id.data = listing.id
            self.lead_time_days.data = listing.lead_time_days


class OrderForm(FlaskForm):
    title = StringField(
        _l("Title"),
        validators=[DataRequired(), Length(max=200)],
        description=_l("e.g. Aluminium housing, anodised, 500 pieces"),
    )
    description = TextAreaField(_l("Details"), validators=[Length(max=10000)])
    # Not "process": that name is taken by WTForms' Form.process().
    process_code = SelectField(_l("Process"), choices=[])
    material = SelectField(_l("Material"), choices=[])
    quantity = IntegerField(
        _l("Quantity (pieces)"),
        validators=[InputRequired(), NumberRange(1, MAX_QUANTITY)],
        render_kw={"min": 1},
    )
    tolerance_mm = DecimalField(
        _l("Tolerance (± mm)"),
        places=None,
        validators=[InputRequired(), NumberRange(MIN_TOLERANCE_MM, MAX_TOLERANCE_MM)],
        render_kw={"step": "0.0005", "min": "0.0005", "max": "10", "inputmode": "decimal"},
    )
    part_x_mm = IntegerField(
        _l("Part length (mm)"),
        validators=[InputRequired(), NumberRange(1, 50_000)],
        render_kw={"min": 1},
    )
    part_y_mm = IntegerField(
        _l("Part width (mm)"),
        validators=[InputRequired(), NumberRange(1, 50_000)],
        render_kw={"min": 1},
    )
    part_z_mm = IntegerField(
        _l("Part height (mm)"),
        validators=[InputRequired(), NumberRange(1, 50_000)],
        render_kw={"min": 1},
    )
    required_certifications = MultiCheckboxField(
        _l("Required certifications"), choices=_certifications()
    )
    due_date = DateField(_l("Due date"), validators=[DataRequired()])
    target_unit_price = DecimalField(
        _l("Target unit price"),
        places=None,
        validators=[Optional()],
        render_kw=MONEY_STEP,
        description=_l("Optional; suppliers see it."),
    )
    currency = SelectField(_l("Currency"), choices=CURRENCIES, default=Currency.CNY.value)
    delivery_province = StringField(_l("Delivery province"), validators=[Length(max=100)])
    delivery_city = StringField(_l("Delivery city"), validators=[DataRequired(), Length(max=100)])
    splittable = BooleanField(_l("May be split across several suppliers"))
    min_lot = IntegerField(
        _l("Minimum lot per supplier"),
        default=1,
        validators=[InputRequired(), NumberRange(1, MAX_QUANTITY)],
        render_kw={"min": 1},
        description=_l("When split, no supplier gets fewer pieces than this."),
    )
    minutes_per_piece = DecimalField(
        _l("Machine-minutes per piece"),
        places=None,
        validators=[Optional(), NumberRange(MIN_MINUTES_PER_PIECE, MAX_MINUTES_PER_PIECE)],
        render_kw={"step": "0.01", "min": "0.01", "max": "100000", "inputmode": "decimal"},
        description=_l(
            "Optional: your estimate of the machine time one piece takes. It sharpens the "
            "matching: suppliers are checked for enough free hours and priced on it."
        ),
    )
    file = FileField(
        _l("Drawing"),
        description=_l("PDF, STEP, DXF, PNG or JPEG, up to 20 MB. You can add more later."),
    )


class DrawingForm(FlaskForm):
    file = FileField(_l("Drawing"), description=_l("PDF, STEP, DXF, PNG or JPEG, up to 20 MB."))


class InviteSupplierForm(FlaskForm):
    supplier_id = IntegerField(
        _l("Supplier company ID"),
        validators=[InputRequired(), NumberRange(1, 2**31 - 1)],
        description=_l("Invited suppliers may read the drawings and quote."),
    )


class NoteForm(FlaskForm):
    """A status change with an optional note (a dispute needs one)."""

    note = TextAreaField(_l("Note"), validators=[Length(max=1000)])


class AwardForm(FlaskForm):
    # The quantities come from "quantity-<quote id>" inputs; errors about the award land here.
    allocations = HiddenField()


class MatchWeightsForm(FlaskForm):
    """How much the buyer cares about each group, 0 to 10; the range is checked by `Weights`."""

    cost = DecimalField(_l("Cost"), places=None, validators=[InputRequired()], widget=WEIGHT_INPUT)
    quality = DecimalField(
        _l("Quality"), places=None, validators=[InputRequired()], widget=WEIGHT_INPUT
    )
    speed = DecimalField(
        _l("Speed"), places=None, validators=[InputRequired()], widget=WEIGHT_INPUT
    )
    proximity = DecimalField(
        _l("Proximity"), places=None, validators=[InputRequired()], widget=WEIGHT_INPUT
    )

    def group_fields(self) -> list:
        return [self.cost, self.quality, self.speed, self.proximity]


PLAN_MODES = {
    PlanMode.WHOLE: _l("Whole orders: each order goes to one supplier"),
    PlanMode.SPLIT: _l("Split orders: splittable orders may be shared out"),
}


class PlanForm(FlaskForm):
    mode = RadioField(
        _l("Plan"),
        choices=[(mode.value, label) for mode, label in PLAN_MODES.items()],
        default=PlanMode.WHOLE.value,
        validators=[InputRequired()],
    )
    time_limit = IntegerField(
        _l("Time limit (seconds)"),
        default=5,
        validators=[InputRequired(), NumberRange(1, int(MAX_PLAN_SECONDS))],
        render_kw={"min": 1, "max": int(MAX_PLAN_SECONDS), "step": 1},
        description=_l("The solver stops after this long with the best plan it has found."),
    )


class MilestoneForm(FlaskForm):
    progress_pct = IntegerField(
        _l("Progress (%)"),
        validators=[InputRequired(), NumberRange(0, 100)],
        render_kw={"min": 0, "max": 100, "step": 5},
    )
    forecast_date = DateField(_l("Expected finish"), validators=[DataRequired()])
    progress_note = TextAreaField(_l("What happened"), validators=[Length(max=1000)])


STARS = [(str(value), str(value)) for value in range(5, 0, -1)]


class ReviewForm(FlaskForm):
    quality = RadioField(_l("Quality"), choices=STARS, validators=[InputRequired()])
    delivery = RadioField(_l("Delivery"), choices=STARS, validators=[InputRequired()])
    communication = RadioField(_l("Communication"), choices=STARS, validators=[InputRequired()])
    comment = TextAreaField(_l("Comment"), validators=[Length(max=2000)])


def fill_taxonomy_choices(form: FlaskForm, language: str) -> None:
    """Give the taxonomy selects of `form` their labels in `language`."""
    fields = form._fields
    if "kind" in fields:
        fields["kind"].choices = TAXONOMY.choices("machine_kinds", language)
    for name, section in (("process_code", "processes"), ("material", "materials")):
        if name in fields:
            fields[name].choices = dict(TAXONOMY.grouped_choices(section, language))
    for name, section in (("processes", "processes"), ("materials", "materials")):
        if name in fields:
            fields[name].choices = TAXONOMY.choices(section, language)
