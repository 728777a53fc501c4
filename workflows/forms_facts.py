"""Desk forms for the facts the 766 indicators need (issue 4 part 1): one small form per fact.

The forms only check the input's shape (a URL is a URL, a fee is a whole number of đồng ≥ 0, a flag is one of
``DigitisedFlag``); whether the fact may be recorded now, and by whom, is the rule of the service in
:mod:`workflows.services.facts` that the view calls with the cleaned data.
"""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from workflows.choices import ComplaintKind, DigitisedFlag, OnlinePayment, Rating

# Dossier.fee_total_vnd is a PositiveBigIntegerField: 2^63 - 1 is what the column holds.
FEE_MAX_VND = 2**63 - 1


class EResultForm(forms.Form):
    """``MaKetQua`` + ``DuongDanTepTinKetQua`` (766 3.3, 4.1, 4.2)."""

    code = forms.CharField(label=_("Mã kết quả điện tử"), max_length=64)
    url = forms.URLField(
        label=_("Đường dẫn tệp kết quả"),
        max_length=500,
        assume_scheme="https",
        help_text=_("Địa chỉ đầy đủ, ví dụ https://…"),
    )


class DigitisedForm(forms.Form):
    """What was digitised or reused (766 4.2–4.4); flags only ever switch on."""

    flags = forms.MultipleChoiceField(
        label=_("Số hóa, tái sử dụng"),
        choices=DigitisedFlag.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Chọn ít nhất một mục số hóa, tái sử dụng.")},
    )


class VneidForm(forms.Form):
    """A confirmation only: the applicant's account is authenticated with VNeID (766 4.5)."""


class FeeForm(forms.Form):
    """The fee list total and whether it was paid online (766 3.5–3.6)."""

    amount_vnd = forms.IntegerField(
        label=_("Tổng phí, lệ phí (đồng)"),
        min_value=0,
        max_value=FEE_MAX_VND,
        help_text=_("Nhập 0 nếu thủ tục có danh sách phí, lệ phí bằng 0."),
    )
    paid_online = forms.TypedChoiceField(
        label=_("Thanh toán trực tuyến"),
        choices=OnlinePayment.choices,
        coerce=int,
        initial=OnlinePayment.NO,
    )


class SyncForm(forms.Form):
    """A confirmation only: the dossier was synchronised to the national portal (766 1.4)."""


class RateForm(forms.Form):
    """The citizen's like / dislike, recorded by the desk only on the citizen's explicit request."""

    rating = forms.ChoiceField(
        label=_("Đánh giá của người dân"), choices=Rating.choices, widget=forms.RadioSelect
    )
    on_behalf = forms.BooleanField(
        label=_("Ghi thay người dân, theo đề nghị của người dân (phiếu đánh giá)"),
        required=False,
        help_text=_("Đánh giá là của người dân; Bộ phận Một cửa chỉ ghi thay khi người dân đề nghị."),
    )


class ComplaintForm(forms.Form):
    """A complaint or recommendation (PAKN) about the dossier (766 5.1–5.3)."""

    kind = forms.ChoiceField(
        label=_("Phân loại phản ánh, kiến nghị"), choices=ComplaintKind.choices, initial=ComplaintKind.OTHER
    )
    content = forms.CharField(
        label=_("Nội dung phản ánh, kiến nghị"), widget=forms.Textarea(attrs={"rows": 2}), max_length=4000
    )
    repeated = forms.BooleanField(label=_("Phản ánh lặp lại về kết quả giải quyết"), required=False)


class ComplaintDoneForm(forms.Form):
    """The open PAKN was handled; the complainant's view of the answer, if given."""

    feedback = forms.ChoiceField(
        label=_("Ý kiến của người phản ánh về kết quả xử lý"),
        choices=[("", _("Không có ý kiến")), *Rating.choices],
        required=False,
    )
