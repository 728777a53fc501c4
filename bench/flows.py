"""A bare viewflow five-step flow: the baseline of ``bench/lifecycle.py`` (no lifecycle, clock, audit)."""

from __future__ import annotations

from viewflow import this
from viewflow.workflow import flow, lock
from viewflow.workflow.flow.views import UpdateProcessView


class FiveStepFlow(flow.Flow):
    lock_impl = lock.select_for_update_lock

    start = flow.StartHandle().Next(this.step1)
    step1 = flow.View(UpdateProcessView.as_view(fields=[])).Next(this.step2)
    step2 = flow.View(UpdateProcessView.as_view(fields=[])).Next(this.step3)
    step3 = flow.View(UpdateProcessView.as_view(fields=[])).Next(this.step4)
    step4 = flow.View(UpdateProcessView.as_view(fields=[])).Next(this.step5)
    step5 = flow.View(UpdateProcessView.as_view(fields=[])).Next(this.end)
    end = flow.End()
