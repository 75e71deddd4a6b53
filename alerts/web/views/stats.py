"""The statistics page: weekly, per-platform and per-language charts, decisions and appeals."""
from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from alerts.review import statistics
from alerts.web.auth import EVERYONE, page
from alerts.web.charts import bar_chart, column_chart
from alerts.web.i18n import gettext_for


@page(roles=EVERYONE)
def stats_page(request: Request, db) -> Response:
    _ = gettext_for(request.state.lang)
    data = statistics.collect(db)
    series = [_("Flagged"), _("Confirmed")]
    return request.app.state.render(request, "stats.html", {
        "data": data, "title": _("Statistics"),
        "week_chart": column_chart(data.weeks, series, _("Flagged and confirmed per week")),
        "platform_chart": bar_chart(data.platforms, series, _("Per platform")),
        "language_chart": bar_chart(data.languages, series, _("Per language")),
    })
