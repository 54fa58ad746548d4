"""The demo events' posters, drawn from the seed's stories by the app's own image code and kept
exactly like an organizer's upload (sized copies under a new key). The Wuhu union's year of
past mixers keeps the kind's default cover."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from eventsite.events.models import Event
from eventsite.posters import artwork, service


@dataclass(frozen=True)
class DemoPoster:
    #: Words the event's title holds: which demo event the poster is for.
    found_by: str
    palette: str
    scene: str
    label: str
    headline: str
    subline: str
    footer: str


POSTERS = (
    DemoPoster(
        "高层次人才联谊交友活动",
        "mixer",
        "magpie_bridge",
        "鹊桥联谊",
        "皖工鹊桥·\n会聚良缘",
        "秋遇隅里 一叶知卿\n高层次人才联谊交友活动",
        "芜湖市总工会",
    ),
    DemoPoster(
        "单身职工联谊会（第一场）",
        "mixer",
        "hearts",
        "鹊桥联谊",
        "皖工鹊桥·\n会聚良缘",
        "单身职工联谊会（第一场）\n破冰游戏 · 分组交流 · 自助晚餐",
        "芜湖市总工会",
    ),
    DemoPoster(
        "教育系统青年教师专场",
        "mixer",
        "magpie_bridge",
        "鹊桥联谊",
        "青年教师\n专场联谊会",
        "皖工鹊桥·会聚良缘\n教育系统专场",
        "芜湖市总工会",
    ),
    DemoPoster(
        "国际贸易业务员技能竞赛",
        "competition",
        "sea_globe",
        "技能竞赛",
        "第二届国际贸易\n业务员技能竞赛",
        "全国总决赛 · 山东烟台",
        "中国财贸轻纺烟草工会 · 山东省总工会",
    ),
    DemoPoster(
        "站前街道职工趣味运动会",
        "sportsmeet",
        "fun_meet",
        "趣味运动会",
        "站前街道\n职工趣味运动会",
        "毛毛虫竞速 · 拔河 · 趣味接力",
        "铁锋区站前街道工会 · 齐齐哈尔市职工大学",
    ),
    DemoPoster(
        "与小哥并肩",
        "courier",
        "courier",
        "工会驿站",
        "「与小哥并肩」",
        "双十一快递员暖冬关爱日\n健康体检 · 防寒手套 · 法律咨询",
        "沈阳高新区工会驿站",
    ),
    DemoPoster(
        "职工讲堂",
        "lecture",
        "lecture",
        "职工讲堂",
        "新就业形态劳动者\n职业健康与安全",
        "护腰拉伸 · 急救要点 · 冬季骑行安全",
        "齐齐哈尔市职工大学培训中心",
    ),
)


def poster_for(event: Event) -> DemoPoster | None:
    """The demo poster whose words the event's title holds, if any."""
    return next((spec for spec in POSTERS if spec.found_by in event.title), None)


def give_posters(events: Iterable[Event]) -> int:
    """Draw each demo event's poster and make it the event's cover; how many were given."""
    given = 0
    for event in events:
        spec = poster_for(event)
        if spec is None:
            continue
        image = artwork.poster(
            spec.palette, spec.scene, spec.label, spec.headline, spec.subline, spec.footer
        )
        service.give_drawn_cover(event, image)
        given += 1
    return given
