"""Every fixed word of the report in English and Chinese, and the sentences built from the figures.

A text is a :class:`Tr` pair; the template shows one language at a time and the switch swaps them.
Sentences are built here, not in the template, so that both languages say the same thing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from parkscope.settings.summary import Integration, Summary


@dataclass(frozen=True)
class Tr:
    """One text in both languages."""

    en: str
    zh: str

    def __add__(self, other: Tr) -> Tr:
        return Tr(self.en + other.en, self.zh + other.zh)


UI: dict[str, Tr] = {
    "subtitle": Tr("Industry–city–people diagnosis of a science park", "科技园区产城人融合诊断"),
    "lang_button": Tr("中文", "English"),
    "lang_button_title": Tr("Switch the report to Chinese", "将报告切换为英文"),
    "contents": Tr("Contents", "目录"),
    "sec_summary": Tr("Summary", "摘要"),
    "sec_map": Tr("Map", "地图"),
    "sec_charts": Tr("Charts", "图表"),
    "sec_categories": Tr("Amenities by category", "分类设施指标"),
    "sec_integration": Tr("Industry–city–people integration", "产城人融合"),
    "sec_fivepark": Tr("Five-park scorecard", "五型园区评分"),
    "sec_inpark": Tr("Named amenities in the park", "园区内有名称的设施"),
    "sec_methods": Tr("Methods and parameters", "方法与参数"),
    "sec_provenance": Tr("Data and provenance", "数据与来源"),
    "kpi_score": Tr("Life-convenience score", "生活便利度评分"),
    "kpi_D": Tr("Coupling coordination D", "耦合协调度 D"),
    "kpi_lag": Tr("Diagnosis", "诊断"),
    "kpi_park": Tr("Park area", "园区面积"),
    "kpi_nodes": Tr("Walk-network nodes", "步行网络节点"),
    "kpi_amen": Tr("Amenity points", "设施点"),
    # map
    "map_caption": Tr(
        "Pan with the mouse, zoom with the wheel, hover for details. The base map is drawn from the "
        "OpenStreetMap extract itself (no map tiles are fetched). The panel beside the map is the legend and switches the layers.",
        "鼠标拖动平移，滚轮缩放，悬停查看详情。底图直接由 OpenStreetMap 数据绘制（不加载在线瓦片）。地图旁的面板既是图例，也可切换图层。",
    ),
    "layers": Tr("Layers", "图层"),
    "cells_colour": Tr("Grid cells coloured by", "网格着色"),
    "layer_score": Tr("life-convenience score", "生活便利度评分"),
    "layer_D": Tr("coupling coordination D", "耦合协调度 D"),
    "layer_lag": Tr("lag type", "滞后类型"),
    "layer_none": Tr("none", "不显示"),
    "layer_amenities": Tr("Amenities", "设施"),
    "layer_base": Tr("Base map", "底图"),
    "layer_park": Tr("Park outline", "园区边界"),
    "layer_places": Tr("Place names", "地名"),
    "no_basemap": Tr(
        "The base map is missing: the extract file was not available when the report was written.",
        "缺少底图：生成报告时找不到 OSM 数据文件。",
    ),
    # map legend and hover labels
    "street_major": Tr("Main roads", "主干道"),
    "street_secondary": Tr("Secondary roads", "次干道"),
    "street_minor": Tr("Local streets", "支路"),
    "street_path": Tr("Footpaths", "步行道"),
    "rail": Tr("Railways", "铁路"),
    "water": Tr("Water", "水体"),
    "green": Tr("Green space", "绿地"),
    "buildings": Tr("Buildings", "建筑"),
    "park": Tr("Park", "园区"),
    "base_legend": Tr("Base map", "底图"),
    "amen_legend": Tr("Amenities", "设施"),
    "lag_legend": Tr("Lag type", "滞后类型"),
    "score_legend": Tr("Life-convenience score (0–10)", "生活便利度评分（0–10）"),
    "D_legend": Tr("Coupling coordination D (0–1)", "耦合协调度 D（0–1）"),
    "h_cell": Tr("H3 cell", "H3 网格"),
    "h_score": Tr("Score", "评分"),
    "h_D": Tr("D", "协调度 D"),
    "h_class": Tr("Class", "协调等级"),
    "h_lag": Tr("Lag type", "滞后类型"),
    "h_icp": Tr("Industry / city / people", "产 / 城 / 人"),
    "h_jobs": Tr("Jobs", "就业岗位"),
    "h_residents": Tr("Residents", "居住人口"),
    "h_nodes": Tr("Walk nodes", "步行节点"),
    "h_name": Tr("Name", "名称"),
    "h_category": Tr("Category", "类别"),
    "h_osm": Tr("OSM", "OSM"),
    "unnamed": Tr("(no name)", "（无名称）"),
    "not_diagnosed": Tr("not diagnosed", "未诊断"),
    # charts
    "chart_coverage": Tr("Share of the park within a {minutes}-minute walk", "{minutes} 分钟步行可达的园区比例"),
    "chart_coverage_x": Tr("% of the park's walk nodes", "园区步行节点占比（%）"),
    "chart_distance": Tr("Walking distance from the park to the nearest amenity", "园区到最近设施的步行距离"),
    "chart_distance_x": Tr("metres along the walk network", "沿步行网络的距离（米）"),
    "chart_distance_note": Tr(
        "Boxes: middle half of the park's walk nodes; line: median; whiskers: 10th–90th percentile; dashed "
        "line: the {minutes}-minute walk ({cover_m} m). Nodes with none within {max_m} m are drawn at {max_m} m "
        "and counted on the right.",
        "箱体：园区步行节点的中间一半；竖线：中位数；须线：第 10–90 百分位；虚线：{minutes} 分钟步行距离（{cover_m} 米）。"
        "{max_m} 米内没有该类设施的节点画在 {max_m} 米处，并在右侧注明比例。",
    ),
    "none_within": Tr("none within {max_m} m: {share}", "{max_m} 米内无：{share}"),
    "chart_radar": Tr("Five-park scorecard (0–100)", "五型园区评分（0–100）"),
    "chart_radar_note": Tr(
        "Each dimension is the mean score of its indicators with data; 'data' is the share of its "
        "indicators that had data. A dimension without any data is marked 'no data' and left out of the outline.",
        "各维度得分为有数据指标的平均分；“数据”为有数据的指标占比。完全没有数据的维度标为“无数据”，不计入轮廓。",
    ),
    "no_data": Tr("no data", "无数据"),
    "data_share": Tr("data {share}", "数据 {share}"),
    "chart_subindices": Tr("Sub-indices and coupling coordination (0–1)", "子系统指数与耦合协调度（0–1）"),
    "chart_subindices_note": Tr(
        "Industry, city and people: weighted indicator indices of the park's cells. C: coupling degree (how "
        "evenly the three develop); T: overall development; D = √(C·T): coupling coordination degree.",
        "产、城、人：园区网格加权指标指数。C：耦合度（三者发展的均衡程度）；T：综合发展水平；D = √(C·T)：耦合协调度。",
    ),
    "industry": Tr("Industry", "产业"),
    "city": Tr("City", "城市"),
    "people": Tr("People", "人口"),
    "coupling_C": Tr("Coupling C", "耦合度 C"),
    "development_T": Tr("Development T", "发展度 T"),
    "coordination_D": Tr("Coordination D", "协调度 D"),
    # tables
    "th_category": Tr("Category", "类别"),
    "th_weight": Tr("Weight", "权重"),
    "th_within": Tr("Within {minutes} min", "{minutes} 分钟可达"),
    "th_median": Tr("Median nearest (m)", "最近距离中位数（米）"),
    "th_in_area": Tr("In study area", "研究区内"),
    "th_in_park": Tr("In park", "园区内"),
    "th_dimension": Tr("Dimension", "维度"),
    "th_score": Tr("Score", "得分"),
    "th_coverage": Tr("Data coverage", "数据覆盖"),
    "th_indicator": Tr("Indicator", "指标"),
    "th_value": Tr("Value", "数值"),
    "th_unit": Tr("Unit", "单位"),
    "th_source": Tr("Source", "来源"),
    "th_item": Tr("Item", "项目"),
    "th_name": Tr("Name", "名称"),
    "th_osm": Tr("OSM object", "OSM 对象"),
    "src_osm": Tr("OpenStreetMap", "OpenStreetMap"),
    "src_user": Tr("user table", "用户数据表"),
    "src_missing": Tr("no data", "无数据"),
    "inpark_note": Tr(
        "{n} named amenities stand in the park (names as mapped in OpenStreetMap).",
        "园区内共有 {n} 处有名称的设施（名称取自 OpenStreetMap）。",
    ),
    "inpark_more": Tr("The first {shown} are listed.", "仅列出前 {shown} 处。"),
    "inpark_none": Tr("No named amenity stands in the park.", "园区内没有有名称的设施。"),
    # integration table rows
    "row_jobs": Tr("Jobs within a {minutes}-minute walk", "{minutes} 分钟步行范围内就业岗位"),
    "row_residents": Tr("Residents within a {minutes}-minute walk", "{minutes} 分钟步行范围内居住人口"),
    "row_ratio": Tr("Jobs per resident", "职住比（岗位/居民）"),
    "row_jobs_park": Tr("Jobs in the park", "园区内就业岗位"),
    "row_residents_park": Tr("Residents in the park", "园区内居住人口"),
    "row_class": Tr("Coordination class", "协调等级"),
    "row_lag": Tr("Lag type", "滞后类型"),
    "row_cells": Tr("Cells diagnosed", "参与诊断的网格"),
    "row_jobs_source": Tr("Jobs from", "就业数据来源"),
    "row_residents_source": Tr("Residents from", "人口数据来源"),
    "sec_data": Tr("Data sufficiency", "数据完整度"),
    "data_note": Tr(
        "How complete each input is in the study area, measured from the data and compared with well-mapped "
        "extracts. Figures resting on a missing layer are unknown (no verdict); thin layers carry a caution.",
        "各项输入数据在研究区内的完整程度（与数据完善地区比较）。依赖缺失数据的指标记为未知，不作判断；"
        "数据偏少时结果附带提示。",
    ),
    "th_layer": Tr("Layer", "数据层"),
    "th_status": Tr("Status", "状态"),
    "th_measures": Tr("Measured", "测量值"),
    "th_reasons": Tr("Why / what to add", "原因与补充方法"),
    # provenance
    "prov_extract": Tr("OSM extract", "OSM 数据文件"),
    "prov_sha": Tr("SHA-256 of the extract", "数据文件 SHA-256"),
    "prov_date": Tr("OSM data date", "OSM 数据日期"),
    "prov_created": Tr("Report created (UTC)", "报告生成时间（UTC）"),
    "prov_version": Tr("parkscope version", "parkscope 版本"),
    "prov_area": Tr("Study area", "研究区"),
    "prov_crs": Tr("Metric CRS", "投影坐标系"),
    "prov_buffer": Tr("Buffer around the park", "园区缓冲区"),
    "prov_network": Tr("Walk network", "步行网络"),
    "prov_figures": Tr("Figures beside this file", "同目录下的图片"),
    "prov_parameters": Tr("All parameters (JSON)", "全部参数（JSON）"),
    "unknown": Tr("unknown", "未知"),
    "attribution": Tr(
        "Map data © OpenStreetMap contributors, ODbL 1.0. The data is available under the Open Database "
        "License: openstreetmap.org/copyright.",
        "地图数据 © OpenStreetMap 贡献者，采用 ODbL 1.0 许可（开放数据库许可）：openstreetmap.org/copyright。",
    ),
    "data_of": Tr("OpenStreetMap data of {date}", "OpenStreetMap 数据日期：{date}"),
    "map_attribution": Tr("Map data © OpenStreetMap contributors, ODbL 1.0.", "地图数据 © OpenStreetMap 贡献者，ODbL 1.0。"),
    "offline_note": Tr(
        "This report is one self-contained file: it works with no network connection.",
        "本报告为单一自包含文件，无需网络即可使用。",
    ),
}

LAG = {
    "industry_without_city": Tr("有产无城 · industry without city", "有产无城"),
    "city_without_industry": Tr("有城无产 · city without industry", "有城无产"),
    "balanced": Tr("balanced", "产城协调"),
}
LAG_LONG = {
    "industry_without_city": Tr("有产无城 — industry without city (the city lags)", "有产无城（城市功能滞后于产业）"),
    "city_without_industry": Tr("有城无产 — city without industry (industry lags)", "有城无产（产业滞后于城市功能）"),
    "balanced": Tr("balanced (产城协调)", "产城协调"),
}
STREETS = {"major": "street_major", "secondary": "street_secondary", "minor": "street_minor", "path": "street_path"}


def fmt_num(value: Any, nd: int = 0) -> str:
    """A number with thousands separators, or an en dash when missing."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "–"
    return f"{float(value):,.{nd}f}"


def fmt_pct(value: Any) -> str:
    """A share 0–1 as a whole percentage (``<1%`` for a small share that is not zero), or an en dash."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "–"
    if 0 < float(value) < 0.005:
        return "<1%"
    return f"{100 * float(value):.0f}%"


def ui(key: str, **kw: Any) -> Tr:
    """A fixed text with ``{placeholders}`` filled in both languages."""
    t = UI[key]
    return Tr(t.en.format(**kw), t.zh.format(**kw)) if kw else t


def _dim_name(d: Any) -> Tr:
    """The English and Chinese names of a five-park dimension (``en`` / ``zh``)."""
    return Tr(str(d.en or ""), str(d.zh or ""))


def summary_sentences(s: Summary, minutes: str) -> list[Tr]:
    """The plain-language summary: score, coverage, coordination, lag type, jobs–housing, five parks."""
    out: list[Tr] = []
    score = s.life_convenience_score
    cats = s.categories
    n = len(cats)
    if score is not None:
        out.append(Tr(
            f"Life-convenience score: {score:.1f} out of 10 — how well the park's walk network reaches "
            f"{n} kinds of everyday amenities on foot.",
            f"生活便利度评分：{score:.1f} / 10，衡量园区步行网络到达 {n} 类日常设施的便利程度。",
        ))
    else:
        out.append(Tr(
            "The life-convenience score could not be computed: the park has no walk-network node.",
            "无法计算生活便利度评分：园区内没有步行网络节点。",
        ))
    ranked = sorted(
        ((v.share_within, k) for k, v in cats.items() if v.share_within is not None),
        key=lambda p: (p[0], p[1]),
    )
    if ranked:
        lo, hi = ranked[0], ranked[-1]
        out.append(Tr(
            f"Best covered: {str(cats[hi[1]].en).lower()} ({fmt_pct(hi[0])} of the park within a {minutes}-minute "
            f"walk); weakest: {str(cats[lo[1]].en).lower()} ({fmt_pct(lo[0])}).",
            f"覆盖最好的是{cats[hi[1]].zh}（{minutes} 分钟步行可达 {fmt_pct(hi[0])}），"
            f"最薄弱的是{cats[lo[1]].zh}（{fmt_pct(lo[0])}）。",
        ))
    out = data_sentences(s) + out
    out += integration_sentences(s.integration, minutes)
    five = s.five_park.dimensions() if s.five_park is not None else {}
    scored = [(v.score, k) for k, v in five.items() if v.score is not None]
    if scored:
        best = max(scored)
        worst = min(scored)
        missing = [k for k, v in five.items() if v.score is None]
        text = Tr(
            f"Five-park scorecard (innovative, green, smart, humane, open): strongest {five[best[1]].en} "
            f"({best[0]:.0f}/100), weakest {five[worst[1]].en} ({worst[0]:.0f}/100).",
            f"五型园区评分（创新、绿色、智慧、人文、开放）：最强为{five[best[1]].zh}（{best[0]:.0f}/100），"
            f"最弱为{five[worst[1]].zh}（{worst[0]:.0f}/100）。",
        )
        if missing:
            text = text + Tr(
                " No data for: " + ", ".join(str(five[k].en) for k in missing) + ".",
                "无数据维度：" + "、".join(str(five[k].zh) for k in missing) + "。",
            )
        out.append(text)
    outside = s.area.outside_extract_share if s.area is not None else None
    if outside is not None and outside > 0.05:
        out.append(Tr(
            f"Caution: {fmt_pct(outside)} of the study area (the park and its surroundings) lies outside "
            "the OpenStreetMap extract. Streets and amenities there are missing, so the figures near that "
            "edge are too low; assess with an extract that covers the whole area.",
            f"注意：研究区（园区及其周边）有 {fmt_pct(outside)} 位于 OpenStreetMap 数据范围之外，"
            "该处的道路与设施缺失，靠近边缘的指标会偏低；请使用覆盖整个研究区的数据。",
        ))
    return out


LAYER_NAMES: dict[str, Tr] = {
    "network": Tr("walk network", "步行路网"),
    "amenities": Tr("amenities", "生活设施"),
    "buildings": Tr("buildings", "建筑"),
    "jobs": Tr("jobs", "就业岗位"),
    "residents": Tr("residents", "居住人口"),
}
STATUS_NAMES: dict[str, Tr] = {
    "ok": Tr("ok", "充分"),
    "thin": Tr("thin", "偏少"),
    "missing": Tr("missing", "缺失"),
}
SUBSYSTEM_NAMES: dict[str, Tr] = {
    "industry": Tr("industry", "产业"),
    "city": Tr("city", "城市"),
    "people": Tr("people", "人口"),
}
SOURCE_NAMES: dict[str, Tr] = {
    "table": Tr("from the user's table", "来自用户数据表"),
    "raster": Tr("from the user's raster", "来自用户栅格数据"),
    "head_count": Tr("from the park's head-count", "来自园区统计人数"),
    "osm_buildings": Tr("estimated from OSM building floor area", "由 OSM 建筑面积估算"),
}


def data_sentences(s: Summary) -> list[Tr]:
    """The first paragraph: how complete the data are, and — when they cannot carry a verdict — why and
    what to add."""
    quality = s.data_quality or {}
    if not quality:
        return []
    parts_en = [f"{LAYER_NAMES[k].en} {STATUS_NAMES[v.status].en}" for k, v in quality.items()
                if k in LAYER_NAMES]
    parts_zh = [f"{LAYER_NAMES[k].zh}{STATUS_NAMES[v.status].zh}" for k, v in quality.items()
                if k in LAYER_NAMES]
    out = [Tr("Data: " + ", ".join(parts_en) + ".", "数据完整度：" + "，".join(parts_zh) + "。")]
    integ = s.integration
    if integ is not None and integ.status == "insufficient_data":
        unknown = [k for k in ("industry", "city", "people") if getattr(integ, k) is None]
        fix_layers = [k for k in ("network", "jobs", "amenities", "residents")
                      if any(str(m).startswith(k) or f": {k} " in str(m) for m in integ.missing)]
        out.append(Tr(
            "No industry–city verdict: the data cannot measure the "
            + _and([SUBSYSTEM_NAMES[k].en for k in unknown]) + " side"
            + ("s" if len(unknown) > 1 else "") + " ("
            + "; ".join(str(m) for m in integ.missing) + "). To get one: "
            + "; ".join(integ.fix) + ".",
            "无法给出产城融合判断：现有数据无法衡量"
            + "、".join(SUBSYSTEM_NAMES[k].zh for k in unknown) + "子系统（"
            + "、".join(f"{LAYER_NAMES[k].zh}{STATUS_NAMES['missing'].zh}" for k in fix_layers)
            + "）。补充方法：" + "；".join(_FIX_ZH[k] for k in fix_layers) + "。",
        ))
    else:
        thin = [k for k, v in quality.items() if v.status == "thin" and k in LAYER_NAMES]
        if thin:
            out.append(Tr(
                "Caution: the " + ", ".join(LAYER_NAMES[k].en for k in thin)
                + " data are thin here (" + "; ".join(
                    r for k in thin for r in quality[k].reasons) + "): read the verdict below "
                "with care.",
                "注意：此处" + "、".join(LAYER_NAMES[k].zh for k in thin)
                + "数据偏少，以下判断仅供参考。",
            ))
    return out


def _and(words: list[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


_FIX_ZH: dict[str, str] = {
    "network": "使用覆盖整个研究区的数据（或减小 --buffer）",
    "amenities": "使用设施更完整的 OpenStreetMap 数据",
    "buildings": "使用建筑更完整的数据，或提供 --jobs/--residents 数据表或栅格",
    "jobs": "提供就业数据表或栅格（--jobs FILE）或园区就业人数（--jobs-total N），或使用建筑更完整的数据",
    "residents": "提供人口数据表或栅格（--residents FILE，如 WorldPop、GHS-POP）或人数（--residents-total N），"
    "或使用建筑更完整的数据",
}


def integration_sentences(integ: Integration | None, minutes: str) -> list[Tr]:
    """Coupling coordination, the industry–city lag type, the weakest of the three, and the jobs–housing
    ratio, in words that cannot contradict each other: the lag type compares the industry *index* with
    the city *index*; the jobs–housing sentence counts jobs and homes; each says which it does."""
    out: list[Tr] = []
    if integ is None:
        return out
    D = integ.coordination_D
    cls = integ.class_
    U = {k: getattr(integ, k) for k in ("industry", "city", "people")}
    if D is not None and cls is not None:
        out.append(Tr(
            f"Industry–city–people coupling coordination D = {D:.2f}: {cls.en} (level {cls.level} of "
            f"10), from the sub-indices industry {U['industry']:.2f}, city {U['city']:.2f} and people "
            f"{U['people']:.2f} (0–1).",
            f"产城人耦合协调度 D = {D:.2f}，属{cls.zh}（第 {cls.level} 级，共 10 级）；"
            f"产业指数 {U['industry']:.2f}，城市指数 {U['city']:.2f}，人口指数 {U['people']:.2f}。",
        ))
    lag = integ.lag_type
    if lag == "industry_without_city":
        out.append(Tr(
            f"The park reads as 有产无城 — industry without city: the city index (amenities, transit, green "
            f"space, streets: {U['city']:.2f}) lags the industry index (jobs, workplace floor, firms, research: "
            f"{U['industry']:.2f}). Everyday services and public space have not kept up with the workplaces.",
            f"园区呈现“有产无城”特征：城市指数（生活设施、公交、绿地、街道：{U['city']:.2f}）滞后于产业指数"
            f"（就业、产业建筑、企业、科研：{U['industry']:.2f}），生活配套与公共空间跟不上产业。",
        ))
    elif lag == "city_without_industry":
        out.append(Tr(
            f"The park reads as 有城无产 — city without industry: the industry index (jobs, workplace floor, "
            f"firms, research: {U['industry']:.2f}) lags the city index (amenities, transit, green space, "
            f"streets: {U['city']:.2f}). Its services are ahead of its economic activity.",
            f"园区呈现“有城无产”特征：产业指数（就业、产业建筑、企业、科研：{U['industry']:.2f}）滞后于城市指数"
            f"（生活设施、公交、绿地、街道：{U['city']:.2f}），服务配套领先于产业活动。",
        ))
    elif lag == "balanced":
        out.append(Tr(
            f"The park reads as balanced (产城协调): the industry index ({U['industry']:.2f}) and the city index "
            f"({U['city']:.2f}) are within 10 % of each other.",
            f"园区产城发展水平相当，呈“产城协调”状态（产业指数 {U['industry']:.2f}，城市指数 {U['city']:.2f}）。",
        ))
    weakest = integ.lagging
    if weakest in SUBSYSTEM_NAMES and integ.leading in SUBSYSTEM_NAMES:
        lead = integ.leading
        gap = integ.lagging_gap or 0
        out.append(Tr(
            f"Of the three, {SUBSYSTEM_NAMES[weakest].en} is the weakest ({U[weakest]:.2f}, "
            f"{gap:.2f} below {SUBSYSTEM_NAMES[lead].en} at {U[lead]:.2f}).",
            f"三者中{SUBSYSTEM_NAMES[weakest].zh}最弱（{U[weakest]:.2f}，比{SUBSYSTEM_NAMES[lead].zh} "
            f"{U[lead]:.2f} 低 {gap:.2f}）。",
        ))
    elif weakest == "balanced":
        out.append(Tr(
            "Industry, city and people are within 10 % of each other.",
            "产业、城市与人口三个子系统发展水平相当（相差不超过 10%）。",
        ))
    out += jobs_housing_sentences(integ, minutes)
    return out


def jobs_housing_sentences(integ: Integration, minutes: str) -> list[Tr]:
    """Jobs and residents within the walk, and what their ratio says (counts, not indices)."""
    reading = integ.jobs_housing_reading
    if reading == "unknown" or integ.jobs is None or integ.residents is None:
        return [Tr(
            f"Jobs and residents within a {minutes}-minute walk are unknown here (see the data above), "
            "so the jobs–housing balance cannot be read.",
            f"{minutes} 分钟步行范围内的就业岗位与居住人口未知（见上文数据说明），无法判断职住平衡。",
        )]
    ratio = integ.jobs_housing_ratio
    same = integ.jobs_source == integ.residents_source
    src_j = SOURCE_NAMES.get(str(integ.jobs_source), Tr("", ""))
    src_r = SOURCE_NAMES.get(str(integ.residents_source), Tr("", ""))
    src = src_j if same else Tr(f"jobs {src_j.en}, residents {src_r.en}", f"就业{src_j.zh}，人口{src_r.zh}")
    base = Tr(
        f"Within a {minutes}-minute walk of the park: {fmt_num(integ.jobs)} jobs and "
        f"{fmt_num(integ.residents)} residents ({src.en})",
        f"园区 {minutes} 分钟步行范围内：就业岗位 {fmt_num(integ.jobs)} 个，居住人口 "
        f"{fmt_num(integ.residents)} 人（{src.zh}）",
    )
    words = {
        "too_few_homes": Tr(
            f", {fmt_num(ratio, 2)} jobs per resident: more jobs than the homes nearby can staff "
            "(people commute in).",
            f"，职住比 {fmt_num(ratio, 2)}：就业岗位多于周边住房可容纳的就业人口（通勤流入多）。",
        ),
        "too_few_jobs": Tr(
            f", {fmt_num(ratio, 2)} jobs per resident: fewer jobs than the working residents nearby "
            "(people commute out).",
            f"，职住比 {fmt_num(ratio, 2)}：就业岗位少于周边就业居民（通勤流出多）。",
        ),
        "balanced": Tr(
            f", {fmt_num(ratio, 2)} jobs per resident: jobs and homes are in balance.",
            f"，职住比 {fmt_num(ratio, 2)}：职住基本平衡。",
        ),
        "no_residents": Tr(
            ": nobody lives there, so jobs and homes cannot balance.",
            "：范围内无居民，无法实现职住平衡。",
        ),
    }
    out = [base + words.get(str(reading), Tr(".", "。"))]
    out += error_sentences(integ)
    lag = integ.lag_type
    if (lag == "city_without_industry" and reading == "too_few_homes") or (
        lag == "industry_without_city" and reading == "too_few_jobs"
    ):
        out.append(Tr(
            "The two readings measure different things: the lag type compares the industry index with the "
            "city's services and spaces, the ratio counts jobs against homes.",
            "两项判断衡量的对象不同：滞后类型比较的是产业指数与城市服务功能，职住比比较的是就业岗位与住房数量。",
        ))
    return out


def error_sentences(integ: Integration) -> list[Tr]:
    """The measured error of the building-based estimates, and whether the verdict holds within it."""
    err = integ.within_error
    if err is None or not err.checked:
        return []
    parts_en, parts_zh = [], []
    for kind, zh, source, factor in (("jobs", "就业岗位", integ.jobs_source, err.jobs_factor),
                                     ("residents", "居住人口", integ.residents_source, err.residents_factor)):
        if source == "osm_buildings" and (factor or 1) > 1:
            parts_en.append(f"{kind} within ×{factor:g}")
            parts_zh.append(f"{zh}在 {factor:g} 倍以内")
    out = [Tr(
        "Estimated from OSM buildings: on well-mapped extracts these estimates were " + " and ".join(parts_en)
        + " of census figures (docs/validation.md).",
        "由 OSM 建筑估算：在数据完善的地区，估算值与普查数据相比" + "、".join(parts_zh) + "（见 docs/validation.md）。",
    )]
    lags = err.lag_types or []
    D = err.coordination_D_range
    if err.lag_type_stable and lags and D:
        out.append(Tr(
            f"Within that error the lag type stays {LAG[lags[0]].en} (D {D[0]:.2f}–{D[1]:.2f}).",
            f"在该误差范围内，滞后类型仍为{LAG[lags[0]].zh}（D 为 {D[0]:.2f}–{D[1]:.2f}）。",
        ))
    elif lags and D:
        out.append(Tr(
            "Within that error the lag type could read " + " or ".join(LAG[x].en for x in lags)
            + f" (D {D[0]:.2f}–{D[1]:.2f}): the verdict is not settled; a jobs or residents table would settle it.",
            "在该误差范围内，滞后类型可能为" + "或".join(LAG[x].zh for x in lags)
            + f"（D 为 {D[0]:.2f}–{D[1]:.2f}），判断尚不确定；提供就业或人口数据可以确定。",
        ))
    return out


def methods_paragraphs(s: Summary, settings: Any) -> list[Tr]:
    """How the figures were made, with the parameters in force."""
    minutes = f"{settings.coverage_minutes:g}"
    d = settings.diagnosis
    return [
        Tr(
            f"Walking distances are measured along the OpenStreetMap pedestrian network, from every network "
            f"node to its {settings.k} nearest amenities of each category within {settings.max_distance_m:g} m. "
            f"An amenity earns full credit up to {settings.full_credit_m:g} m, then a {settings.decay} decay to zero "
            f"at {settings.max_distance_m:g} m; the 2nd…{settings.k}th amenity of a category adds diminishing credit. "
            f"The 0–10 life-convenience score is the weighted mean over the categories (weights in the table). "
            f"A {minutes}-minute walk is {settings.coverage_distance_m:.0f} m at {settings.walk_speed_m_s:g} m/s.",
            f"沿 OpenStreetMap 步行网络计算每个网络节点到各类设施最近 {settings.k} 处（{settings.max_distance_m:g} 米以内）"
            f"的步行距离。{settings.full_credit_m:g} 米以内得满分，之后按 {settings.decay} 衰减、至 {settings.max_distance_m:g} 米"
            f"降为零；同类第 2…{settings.k} 处设施的得分递减。0–10 的生活便利度评分是各类别得分的加权平均（权重见上表）。"
            f"{minutes} 分钟步行按 {settings.walk_speed_m_s:g} 米/秒计为 {settings.coverage_distance_m:.0f} 米。",
        ),
        Tr(
            f"The study area is divided into H3 cells (resolution {settings.h3_resolution}). Each cell gets "
            f"industry (产), city (城) and people (人) sub-indices from normalised indicators ({d.weights} weights); "
            f"the coupling degree C ({d.coupling} model), the development level T and the coupling coordination "
            f"degree D = √(C·T) follow, classed into ten levels. A cell or park whose industry and city indices "
            f"differ by more than {100 * d.lag_threshold:g}% (relative) reads as 有产无城 or 有城无产. Jobs and residents "
            f"are estimated from building floor area by use unless tables are given.",
            f"研究区划分为 H3 网格（分辨率 {settings.h3_resolution}）。每个网格由归一化指标（{d.weights} 权重）计算"
            f"产、城、人三个子系统指数，进而得到耦合度 C（{d.coupling} 模型）、综合发展度 T 和耦合协调度 D = √(C·T)，"
            f"并分为十个等级。产业与城市指数相对差异超过 {100 * d.lag_threshold:g}% 时判定为有产无城或有城无产。"
            f"未提供数据表时，就业与人口由各类建筑面积估算。",
        ),
        Tr(
            "The five-park scorecard follows the Zhongguancun Initiative (innovative, green, smart, humane, open "
            "parks): each indicator is scored 0–100 between a 'zero' and a 'full' value; a dimension's score is the "
            "mean over its indicators with data. The full method is in docs/methods.md of parkscope.",
            "五型园区评分参照“中关村倡议”（创新、绿色、智慧、人文、开放园区）：每项指标在“零分值”与“满分值”之间"
            "换算为 0–100 分，维度得分为有数据指标的平均分。完整方法见 parkscope 的 docs/methods.md。",
        ),
    ]
