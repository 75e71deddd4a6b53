"""The statistics page: weekly, per-platform and per-language charts, decisions and appeals."""
from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from alerts.review import statistics
from alerts.web.auth import EVERYONE, page
from alerts.web.charts import bar_chart, column_chart
from alerts.web.i18n import gettext_for
from alerts.web.wording import LANGUAGE_NAMES, PLATFORM_NAMES


@page(roles=EVERYONE)
def stats_page(request: Request, db) -> Response:
    _ = gettext_for(request.state.lang)
    data = statistics.collect(db)
    series = [_("Flagged"), _("Confirmed")]
    return request.app.state.render(request, "stats.html", {
        "data": data, "title": _("Statistics"),
        "week_chart": column_chart(data.weeks, series, _("Flagged and confirmed per week")),
        "platform_chart": bar_chart([(PLATFORM_NAMES.get(k, k), v) for k, v in data.platforms], series, _("Per platform")),
        "language_chart": bar_chart([(_(LANGUAGE_NAMES[k]) if k in LANGUAGE_NAMES else _("unknown"), v)
                                     for k, v in data.languages], series, _("Per language")),
    })
