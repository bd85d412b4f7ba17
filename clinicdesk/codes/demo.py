"""Demo step: load ICD-10-CM from the package when the table is empty (a second run loads nothing)."""

from __future__ import annotations

from clinicdesk.core.demo import DemoOptions, register

from .models import IcdCode


@register(name="codes", order=60)
def demo_icd10(options: DemoOptions) -> str:
    if IcdCode.objects.exists():
        return f"{IcdCode.objects.filter(active=True).count():,} codes already loaded"
    from .services import icd10_load
    from .sources import package_entries, package_release

    result = icd10_load(entries=package_entries(), release=package_release())
    return f"{result.added:,} codes loaded (release {result.release})"
