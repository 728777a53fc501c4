"""News that ``workflows`` sends upward (architecture: metrics listens, workflows never imports metrics).

Each signal is sent *after the transaction commits* (``transaction.on_commit``), so a receiver that counts,
refreshes a rollup or exports a metric never sees an event that was rolled back.
"""

from __future__ import annotations

from django.dispatch import Signal

# A lifecycle or fact event was recorded. kwargs: dossier_id, agency_id, procedure_id, event (str),
# at (datetime), from_status, to_status, received_at (datetime | None), steps (list of dicts: the steps
# closed by this event, each with unit_code, role, started_at, finished_at, allotted_working_hours,
# working_hours — the step's duration in working hours on the agency's calendar — and mark).
dossier_event_recorded = Signal()

# One SLA sweep finished. kwargs: seconds (float), ok (bool), counts (dict).
sla_sweep_finished = Signal()

# A notification left (or failed to leave). kwargs: kind (str, e.g. "sla_half"), ok (bool).
notification_sent = Signal()

# Sent *inside* the transaction of every lifecycle/fact event, so a receiver can write in the same
# transaction (the rollups mark their slice dirty: rolled back together with the event). kwargs: dossier_id,
# agency_id, procedure_id, since (datetime: the earliest moment whose figures may have changed).
dossier_changed = Signal()
