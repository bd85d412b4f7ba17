"""What every printed page of ClinicDesk carries: a header, a rule, a footer and "Page n of N".

reportlab learns the page count only when the document is finished, so the canvas keeps each
page's state and draws the frame on all of them at the end (`numbered_canvas`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from reportlab.lib import colors
from reportlab.pdfgen import canvas as pdfcanvas

INK = colors.HexColor("#1f3b57")
GREY = colors.HexColor("#555555")


@dataclass(frozen=True)
class PageFrame:
    """Header (bold text left, smaller text right, a rule under them) and footer (text left, page number right).

    Positions are in points: `header_y` and `rule_y` measured down from the top edge,
    `footer_y` and `footer_rule_y` (None: no rule) up from the bottom.
    """

    page_size: tuple[float, float]
    margin: float
    heading: str
    heading_size: float
    header_right: str
    header_y: float
    rule_y: float
    footer: str
    footer_y: float
    footer_size: float = 8.5
    footer_rule_y: float | None = None


def numbered_canvas(frame: PageFrame) -> type[pdfcanvas.Canvas]:
    """A canvas class for `doc.build(story, canvasmaker=...)` that draws `frame` on every page."""
    width, height = frame.page_size

    class NumberedCanvas(pdfcanvas.Canvas):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._pages: list[dict[str, Any]] = []

        def showPage(self) -> None:  # noqa: N802  (reportlab's name)
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            for number, state in enumerate(self._pages, start=1):
                self.__dict__.update(state)
                self._decorate(number, len(self._pages))
                super().showPage()
            super().save()

        def _decorate(self, number: int, total: int) -> None:
            self.saveState()
            self.setFont("Helvetica-Bold", frame.heading_size)
            self.setFillColor(INK)
            self.drawString(frame.margin, height - frame.header_y, frame.heading)
            self.setFont("Helvetica", 9)
            self.setFillColor(GREY)
            self.drawRightString(width - frame.margin, height - frame.header_y, frame.header_right)
            self.setStrokeColor(INK)
            self.setLineWidth(1)
            self.line(frame.margin, height - frame.rule_y, width - frame.margin, height - frame.rule_y)
            if frame.footer_rule_y is not None:
                self.setStrokeColor(colors.HexColor("#bbbbbb"))
                self.setLineWidth(0.5)
                self.line(frame.margin, frame.footer_rule_y, width - frame.margin, frame.footer_rule_y)
            self.setFont("Helvetica", frame.footer_size)
            self.drawString(frame.margin, frame.footer_y, frame.footer)
            self.drawRightString(width - frame.margin, frame.footer_y, f"Page {number} of {total}")
            self.restoreState()

    return NumberedCanvas
