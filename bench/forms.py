"""``python -m bench forms``: seconds of CPU per page of the 申报表 and the certificate, with
the small CJK faces (services/permits/form_fonts.py) against the full Noto faces, in this
process (the same code a render worker runs).

    python -m bench forms [--renders 8]

Each round renders the PFL 申报表 of the unit tests (two pages, staff and project tables) and
a PFL certificate once with each font set, alternating, so both see the same machine load.
Prints per-page p50 / p95 wall and CPU seconds per document kind and font set, the ratio
small ÷ full, and the PDF sizes. The goal (performance issue): ≤ 0.3 s per page.
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import time
from collections.abc import Callable
from datetime import date

import pypdf

from services.permits import forms
from services.permits.catalogue import load_catalogue
from services.permits.licences import Licence, LicenceItem


def _documents() -> dict[str, str]:
    """The HTML of each document kind, rendered by the templates as a worker would."""
    sys.path.insert(0, "tests/unit")
    from test_permits_forms import RECORDS, TODAY  # the unit tests' realistic enterprise

    cat = load_catalogue()
    context = forms.application_form_context(
        cat.type("pfl_power"), "new",
        application={"number": "PFL-2026-000123", "selections": [("install", "三级"), ("test", "四级")],
                     "lane": "standard", "nature": "new", "submitter": "self"},
        records=RECORDS, values={"contact_name": "张三", "contact_phone": "13800000000"},
        generated_on=TODAY,
        attachments=[{"name": "安全生产管理制度文件", "provided": True}],
    )
    pfl = cat.type("pfl_power")
    licence = Licence(
        number="1-1-00013-26", type_code="pfl_power", holder_id="e1", holder_name=RECORDS["name"],
        holder_uscc=RECORDS["uscc"], items=(LicenceItem("install", "三级"), LicenceItem("test", "四级")),
        issued_on=TODAY, valid_from=TODAY, valid_until=date(2032, 11, 22),
        details={"legal_representative": "王五", "address": "呼和浩特市赛罕区"},
    )
    return {
        "form": forms._env.get_template("application_form.html").render(**context),
        "certificate": forms._env.get_template("licence.html").render(
            **forms.licence_context(licence, pfl), verify_url="https://example.invalid/v/1",
            qr_data_uri="data:image/png;base64,"),
    }


def _renderers() -> dict[str, Callable[[str], bytes]]:
    from weasyprint import HTML

    def full(html: str) -> bytes:  # no @font-face: "QLP …" is unknown, pango uses the Noto faces
        return HTML(string=html, base_url=str(forms.TEMPLATES)).write_pdf()

    return {"full faces": full, "small faces": forms._pdf}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench forms", description=__doc__)
    parser.add_argument("--renders", type=int, default=8, help="rounds (default 8)")
    args = parser.parse_args(argv)
    documents, renderers = _documents(), _renderers()
    forms.warm_up()
    for render in renderers.values():  # load pango and each font set once before measuring
        render(documents["form"])
    wall: dict[tuple[str, str], list[float]] = {}
    cpu: dict[tuple[str, str], list[float]] = {}
    sizes: dict[tuple[str, str], int] = {}
    for _ in range(args.renders):
        for kind, html in documents.items():
            for name, render in renderers.items():
                started, cpu_started = time.perf_counter(), time.process_time()
                pdf = render(html)
                pages = len(pypdf.PdfReader(io.BytesIO(pdf)).pages)
                wall.setdefault((kind, name), []).append((time.perf_counter() - started) / pages)
                cpu.setdefault((kind, name), []).append((time.process_time() - cpu_started) / pages)
                sizes[(kind, name)] = len(pdf)
    print(f"{'document':<12} {'fonts':<12} {'wall p50 s/page':>16} {'p95':>7} {'cpu p50':>8} "
          f"{'ratio':>6} {'PDF KB':>7}")
    for kind in documents:
        base = statistics.median(cpu[(kind, "full faces")])
        for name in renderers:
            w, c = sorted(wall[(kind, name)]), cpu[(kind, name)]
            p95 = w[min(len(w) - 1, round(0.95 * (len(w) - 1)))]
            print(f"{kind:<12} {name:<12} {statistics.median(w):>16.3f} {p95:>7.3f} "
                  f"{statistics.median(c):>8.3f} {statistics.median(c) / base:>6.2f} "
                  f"{sizes[(kind, name)] // 1024:>7}")
    print("ratio: CPU per page ÷ the full faces' of the same document; goal ≤ 0.3 s per page")
    return 0
