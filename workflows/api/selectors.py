"""Reads behind the dossier endpoints: which dossiers an API client may see, and their events.

Why the desk's rule plus "submitted by me": a client acts as its user, so it sees exactly what that user
sees at the desk (``workflows.policy.visible_dossiers``: dossiers of the agencies it belongs to); a
portal that only submits has no unit, yet must follow the dossiers it submitted itself — those are the ones
whose ``submit`` event it recorded.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from workflows.choices import Event
from workflows.models import Dossier, DossierEvent
from workflows.policy import visible_dossiers


def api_dossiers(user) -> QuerySet[Dossier]:
    """Dossiers ``user`` may read through the API, with what the serializers need joined."""
    submitted = DossierEvent.objects.filter(event=Event.SUBMIT, actor=user).values("dossier_id")
    seen = visible_dossiers(user).values("pk")
    return Dossier.objects.filter(Q(pk__in=seen) | Q(pk__in=submitted)).select_related(
        "procedure_version__procedure", "agency", "reception_agency", "deadline"
    )


def dossier_events(dossier: Dossier) -> QuerySet[DossierEvent]:
    """The audit trail of one dossier in order (append-only, ``seq`` gap-free)."""
    return DossierEvent.objects.filter(dossier=dossier).order_by("seq")
