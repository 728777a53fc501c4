"""Forms of the public dossier pages (no login): lookup, rating and PAKN (issue 5; domain §4.4, §4.2 group 5).

They only shape and check input; whether the dossier may be seen, rated or complained about is decided by
``workflows.selectors`` and ``workflows.services.facts``.
"""

from __future__ import annotations

from django import forms
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

from procedures.text import nfkc
from workflows.choices import RATING_CRITERION_POINTS, ComplaintKind, Rating, RatingCriterion
from workflows.selectors import LOOKUP_FACTOR_DIGITS

COMPLAINT_MAX_CHARS = 2000


class AsciiDigitsField(forms.CharField):
    """Text normalised NFKC before its validators run: fullwidth ``０１２３`` is ``0123``; other scripts'
    digits stay as they are and fail a ``[0-9]`` check (``\\d`` would let them through)."""

    def to_python(self, value: object) -> str:
        return nfkc(super().to_python(value))


class LookupForm(forms.Form):
    """Dossier code plus the second factor (last 4 digits of the applicant's phone or ID number)."""

    code = forms.CharField(
        label=_("Mã hồ sơ"),
        max_length=64,
        widget=forms.TextInput(attrs={"autocomplete": "off", "placeholder": _("Mã in trên phiếu tiếp nhận")}),
    )
    verify = AsciiDigitsField(
        label=_("4 số cuối số điện thoại hoặc số định danh cá nhân / mã số thuế"),
        min_length=LOOKUP_FACTOR_DIGITS,
        max_length=LOOKUP_FACTOR_DIGITS,
        validators=[RegexValidator(r"^[0-9]{4}$", _("Nhập đúng 4 chữ số."))],
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "off", "pattern": r"\d{4}", "maxlength": "4"}
        ),
    )

    def clean_code(self) -> str:
        return self.cleaned_data["code"].strip()


class RateForm(forms.Form):
    """Like / dislike, and optionally 0–2 points per criterion of domain §4.4."""

    code = forms.CharField(widget=forms.HiddenInput, max_length=64)
    rating = forms.ChoiceField(
        label=_("Mức độ hài lòng chung"), choices=Rating.choices, widget=forms.RadioSelect
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for criterion in RatingCriterion:
            self.fields[f"criterion_{criterion.value}"] = forms.TypedChoiceField(
                label=criterion.label,
                choices=[(points, text) for points, text in RATING_CRITERION_POINTS[criterion]],
                coerce=int,
                empty_value=None,
                required=False,
                widget=forms.RadioSelect,
            )

    def criterion_fields(self) -> list[forms.BoundField]:
        return [self[f"criterion_{c.value}"] for c in RatingCriterion]

    def criteria(self) -> dict[str, int]:
        """The criteria the citizen scored (unscored ones are left out, not counted as 0)."""
        scores = {c.value: self.cleaned_data.get(f"criterion_{c.value}") for c in RatingCriterion}
        return {key: points for key, points in scores.items() if points is not None}


class ComplaintForm(forms.Form):
    """A complaint or recommendation (PAKN) about the dossier."""

    code = forms.CharField(widget=forms.HiddenInput, max_length=64)
    kind = forms.ChoiceField(
        label=_("Nội dung phản ánh về"), choices=ComplaintKind.choices, initial=ComplaintKind.OTHER
    )
    content = forms.CharField(
        label=_("Nội dung phản ánh, kiến nghị"),
        max_length=COMPLAINT_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Không ghi số định danh, số điện thoại hay thông tin cá nhân khác vào đây."),
    )
